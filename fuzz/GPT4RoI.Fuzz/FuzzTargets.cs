using GPT4RoI.Fuzz.Targets;

namespace GPT4RoI.Fuzz;

/// <summary>Every target by name, made on first use (some load the tiny model's manifest and tokenizer).</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "manifest", "request-json", "multipart", "image-jpeg", "image-png", "image-webp", "image-gif", "image-bmp",
        "tokenizer-model", "prompt",
    ];

    public static FuzzTarget Create(string name) => name switch
    {
        "manifest" => new ManifestTarget(),
        "request-json" => new RequestJsonTarget(),
        "multipart" => new MultipartTarget(),
        "image-jpeg" => new ImageTarget("jpeg"),
        "image-png" => new ImageTarget("png"),
        "image-webp" => new ImageTarget("webp"),
        "image-gif" => new ImageTarget("gif"),
        "image-bmp" => new ImageTarget("bmp"),
        "tokenizer-model" => new TokenizerModelTarget(),
        "prompt" => new PromptTarget(),
        _ => throw new ArgumentException($"unknown target '{name}'; the targets are {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>The seed inputs of a target: every file in fuzz/corpus/NAME (sorted by name, so runs repeat).</summary>
    public static IReadOnlyList<byte[]> Seeds(string name, string? corpusRoot = null)
    {
        var dir = Path.Combine(corpusRoot ?? RepoLayout.CorpusRoot, name);
        return Directory.Exists(dir)
            ? [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)]
            : [];
    }
}
