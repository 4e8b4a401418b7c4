using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>Decoding settings as requests and manifests spell them (<c>"generation"</c>); unset fields take the defaults.</summary>
public sealed record GenerationSettings
{
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? Seed { get; init; }
    public int? MaxNewTokens { get; init; }

    public GenerationOptions ToOptions() => new()
    {
        Temperature = Temperature ?? 0f,
        TopP = TopP ?? 1f,
        Seed = Seed,
        MaxNewTokens = MaxNewTokens ?? 64,
    };
}
