using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>Decoding settings as requests and manifests spell them (<c>"generation"</c>); unset fields take the defaults.</summary>
public sealed record GenerationSettings
{
    /// <summary>Sampling temperature; 0 (the default) is greedy (JSON <c>temperature</c>).</summary>
    public float? Temperature { get; init; }
    /// <summary>Nucleus sampling mass in (0, 1]; default 1 (JSON <c>top_p</c>).</summary>
    public float? TopP { get; init; }
    /// <summary>Sampler seed, for repeatable sampling; random when absent (JSON <c>seed</c>).</summary>
    public int? Seed { get; init; }
    /// <summary>Most tokens to generate; default 64, bounded by the engine's limit (JSON <c>max_new_tokens</c>).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>The engine's options, with the defaults for unset fields; not validated here.</summary>
    public GenerationOptions ToOptions() => new()
    {
        Temperature = Temperature ?? 0f,
        TopP = TopP ?? 1f,
        Seed = Seed,
        MaxNewTokens = MaxNewTokens ?? 64,
    };
}
