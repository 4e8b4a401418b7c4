using System.Text.Json;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

/// <summary>Paths and loaders for the tiny model's tokenizer, manifest and golden cases (found from the repository root).</summary>
internal static class TextTestData
{
    private static readonly Lazy<RoiTokenizer> SharedTokenizer = new(LoadTokenizer);

    public static string RepoRoot => RepoPaths.Root;

    public static string TinyModelDir => TinyModel.Path;

    public static string GoldenDir => Path.Combine(TinyModelDir, "golden");

    public static string TestDataDir => Path.Combine(RepoRoot, "tests", "GPT4RoI.Core.Tests", "Text", "TestData");

    /// <summary>One tokenizer shared by tests (it is thread-safe and immutable).</summary>
    public static RoiTokenizer Tokenizer => SharedTokenizer.Value;

    public static JsonElement Manifest() => ReadJson(Path.Combine(TinyModelDir, "manifest.json"));

    public static JsonElement ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static Dictionary<string, int> AddedTokens()
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in Manifest().GetProperty("tokenizer").GetProperty("added_tokens").EnumerateObject())
        {
            tokens.Add(p.Name, p.Value.GetInt32());
        }

        return tokens;
    }

    public static RoiTokenizer LoadTokenizer()
    {
        var tok = Manifest().GetProperty("tokenizer");
        using var stream = File.OpenRead(Path.Combine(TinyModelDir, tok.GetProperty("file").GetString()!));
        return new RoiTokenizer(stream, AddedTokens(), tok.GetProperty("bos_id").GetInt32(), tok.GetProperty("eos_id").GetInt32());
    }

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    public static IReadOnlyList<string> GoldenCaseNames() =>
        [.. ReadJson(Path.Combine(GoldenDir, "index.json")).GetProperty("cases").EnumerateArray().Select(e => e.GetString()!)];
}
