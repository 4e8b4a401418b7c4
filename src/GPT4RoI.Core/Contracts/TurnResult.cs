using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>One answered turn: the shape the batch results, the CLI's <c>--json</c> and <c>/api/query</c> share.</summary>
public record TurnResult
{
    /// <summary>The question as asked, with its <c>&lt;regionN&gt;</c> tags (JSON <c>question</c>).</summary>
    public required string Question { get; init; }
    /// <summary>The boxes this turn introduced, with their region numbers.</summary>
    public required List<RegionInfo> Regions { get; init; }
    /// <summary>The answer text: cut at the stop string, <c>Assistant:</c> removed, trimmed (JSON <c>answer</c>).</summary>
    public required string Answer { get; init; }
    /// <summary>Why generation ended: <c>StopString</c>, <c>EndOfSequence</c> or <c>MaxNewTokens</c> (JSON <c>stop_reason</c>).</summary>
    public required string StopReason { get; init; }
    /// <summary>Tokens in the whole prompt of this turn, earlier turns and image tokens included (JSON <c>prompt_tokens</c>).</summary>
    public required int PromptTokens { get; init; }
    /// <summary>Tokens generated, EOS not counted; includes the <c>Assistant:</c> prefix and stop string that
    /// <see cref="Answer"/> leaves out (JSON <c>generated_tokens</c>).</summary>
    public required int GeneratedTokens { get; init; }
    /// <summary>Milliseconds from the start of generation to the first token's logits (the prompt's prefill), rounded to
    /// 0.01 (JSON <c>prefill_ms</c>).</summary>
    public required double PrefillMs { get; init; }
    /// <summary>Milliseconds of the remaining decode steps, rounded to 0.01 (JSON <c>decode_ms</c>).</summary>
    public required double DecodeMs { get; init; }

    /// <summary>The result of one answered turn.</summary>
    /// <param name="question">The question as asked.</param>
    /// <param name="newBoxes">The boxes the turn introduced.</param>
    /// <param name="firstRegion">The region number of the first of <paramref name="newBoxes"/>.</param>
    /// <param name="result">The generation.</param>
    public static TurnResult From(string question, IReadOnlyList<BoundingBox> newBoxes, int firstRegion, GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(newBoxes);
        ArgumentNullException.ThrowIfNull(result);
        return new TurnResult
        {
            Question = question,
            Regions = newBoxes.Select((b, k) => new RegionInfo(firstRegion + k, [b.X1, b.Y1, b.X2, b.Y2])).ToList(),
            Answer = result.Answer,
            StopReason = result.StopReason.ToString(),
            PromptTokens = result.PromptTokenIds.Count,
            GeneratedTokens = result.GeneratedTokenIds.Count,
            PrefillMs = Math.Round(result.PrefillMilliseconds, 2),
            DecodeMs = Math.Round(result.DecodeMilliseconds, 2),
        };
    }
}
