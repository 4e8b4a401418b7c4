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

    /// <summary>Keep only the tokens whose logit is at least the k-th largest (ties kept, as transformers' top-k) before
    /// top-p; 0 = off. Only used when sampling (<see cref="Temperature"/> &gt; 0).</summary>
    public int TopK { get; init; }

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

    /// <summary>
    /// The model's decoding defaults (the manifest's <c>generation</c>): <c>do_sample</c> false is greedy (temperature 0),
    /// else its temperature, top-k and top-p; its <c>max_new_tokens</c>, at most <paramref name="maxNewTokensLimit"/>.
    /// Null (an older folder without the block) gives <see cref="Greedy"/>.
    /// </summary>
    public static GenerationOptions FromManifest(Models.GenerationSpec? spec, int maxNewTokensLimit = MaxNewTokensCeiling)
    {
        if (spec is null)
        {
            return Greedy.MaxNewTokens <= maxNewTokensLimit ? Greedy : Greedy with { MaxNewTokens = maxNewTokensLimit };
        }

        var sample = spec.DoSample && spec.Temperature > 0;
        return new GenerationOptions
        {
            Temperature = sample ? spec.Temperature : 0f,
            TopK = sample ? spec.TopK : 0,
            TopP = sample ? spec.TopP : 1f,
            MaxNewTokens = Math.Min(spec.MaxNewTokens, maxNewTokensLimit),
        };
    }

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

        if (TopK < 0)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, Invariant($"top_k must be at least 0 (0 = off), not {TopK}"));
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
