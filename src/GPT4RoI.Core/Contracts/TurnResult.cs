using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>One answered turn: the shape the batch results, the CLI's <c>--json</c> and <c>/api/query</c> share.</summary>
public record TurnResult
{
    public required string Question { get; init; }
    /// <summary>The boxes this turn introduced, with their region numbers.</summary>
    public required List<RegionInfo> Regions { get; init; }
    public required string Answer { get; init; }
    public required string StopReason { get; init; }
    public required int PromptTokens { get; init; }
    public required int GeneratedTokens { get; init; }
    public required double PrefillMs { get; init; }
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
