using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>Decoding settings as requests and manifests spell them (<c>"generation"</c>); unset fields take the defaults.</summary>
public sealed record GenerationSettings
{
    /// <summary>Sampling temperature, 0 is greedy; default the model's (JSON <c>temperature</c>).</summary>
    public float? Temperature { get; init; }
    /// <summary>Nucleus sampling mass in (0, 1]; default the model's (JSON <c>top_p</c>).</summary>
    public float? TopP { get; init; }
    /// <summary>Keep the k most likely tokens before top-p, 0 = off; default the model's (JSON <c>top_k</c>).</summary>
    public int? TopK { get; init; }
    /// <summary>Sampler seed, for repeatable sampling; random when absent (JSON <c>seed</c>).</summary>
    public int? Seed { get; init; }
    /// <summary>Most tokens to generate; default the model's, bounded by the engine's limit (JSON <c>max_new_tokens</c>).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>The engine's options, with the built-in defaults (greedy, 64 tokens) for unset fields; not validated here.</summary>
    public GenerationOptions ToOptions() => ToOptions(GenerationOptions.Greedy);

    /// <summary>The engine's options, unset fields taken from <paramref name="defaults"/> (the model's, see
    /// <see cref="GenerationOptions.FromManifest"/>); not validated here.</summary>
    public GenerationOptions ToOptions(GenerationOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return defaults with
        {
            Temperature = Temperature ?? defaults.Temperature,
            TopP = TopP ?? defaults.TopP,
            TopK = TopK ?? defaults.TopK,
            Seed = Seed ?? defaults.Seed,
            MaxNewTokens = MaxNewTokens ?? defaults.MaxNewTokens,
        };
    }
}
