using System.Globalization;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Inference;

/// <summary>Decoding settings of one request.</summary>
public sealed record GenerationOptions
{
    /// <summary>The largest max_new_tokens any engine accepts (<see cref="EngineOptions.MaxNewTokensLimit"/> is at most this).</summary>
    public const int MaxNewTokensCeiling = 8192;

    /// <summary>0 = greedy.</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling mass, in (0, 1]; 1 keeps every token.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the sampler; null picks one at random.</summary>
    public int? Seed { get; init; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Fewest tokens to generate: until then the end-of-sequence token is never chosen and stop strings do not
    /// end the answer (fixed-length runs for benchmarks; 0 by default).</summary>
    public int MinNewTokens { get; init; }

    /// <summary>Extra stop strings besides the manifest's.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Greedy decoding with the default length.</summary>
    public static GenerationOptions Greedy { get; } = new();

    /// <summary>Checks every setting.</summary>
    /// <exception cref="Gpt4RoIException"><see cref="ErrorCode.InvalidRequest"/> for a value out of range,
    /// <see cref="ErrorCode.LimitExceeded"/> for max_new_tokens over <paramref name="maxNewTokensLimit"/>.</exception>
    public void Validate(int maxNewTokensLimit)
    {
        if (!float.IsFinite(Temperature) || Temperature < 0 || Temperature > 5)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, Invariant($"temperature must be in [0, 5], not {Temperature}"));
        }

        if (!float.IsFinite(TopP) || TopP <= 0 || TopP > 1)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, Invariant($"top_p must be in (0, 1], not {TopP}"));
        }

        if (MaxNewTokens < 1)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, Invariant($"max_new_tokens must be at least 1, not {MaxNewTokens}"));
        }

        if (MinNewTokens < 0 || MinNewTokens > MaxNewTokens)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, Invariant($"min_new_tokens must be in 0..max_new_tokens, not {MinNewTokens}"));
        }

        if (MaxNewTokens > maxNewTokensLimit)
        {
            throw new Gpt4RoIException(ErrorCode.LimitExceeded, Invariant($"max_new_tokens is {MaxNewTokens}; the limit is {maxNewTokensLimit}"));
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
