using System.Diagnostics.CodeAnalysis;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Jobs;

/// <summary>The result JSON of one box manifest (docs/api.md).</summary>
public sealed record JobResult
{
    public string? RequestId { get; init; }
    public required ImageInfo Image { get; init; }
    public required ModelInfo Model { get; init; }
    public required List<TaskResult> Tasks { get; init; }
    public required TokenUsage Usage { get; init; }
    public required Dictionary<string, double> TimingsMs { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
}

public sealed record ImageInfo(string Name, string Sha256, int Width, int Height, string Format);

public sealed record ModelInfo(string Id, string Variant, string ExecutionProvider);

public sealed record TaskResult
{
    public string? Id { get; init; }
    public List<TurnResult> Turns { get; init; } = [];
    /// <summary>Set when the task failed; the other tasks of the manifest still ran.</summary>
    public ErrorInfo? Error { get; init; }
}

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

    /// <param name="firstRegion">The region number of the first of <paramref name="newBoxes"/>.</param>
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

/// <summary>A single question's answer with the image and model it came from (CLI <c>ask --json</c>, <c>/api/query</c>).</summary>
public sealed record QueryAnswer : TurnResult
{
    [SetsRequiredMembers]
    public QueryAnswer(TurnResult turn, ImageSummary image, ModelInfo model)
        : base(turn)
    {
        Image = image;
        Model = model;
    }

    public ImageSummary Image { get; init; }
    public ModelInfo Model { get; init; }
}

public sealed record ImageSummary(string Sha256, int Width, int Height);

public sealed record RegionInfo(int Region, double[] Box);

public sealed record TokenUsage(int PromptTokens, int GeneratedTokens);

/// <summary>An error JSON: where a result would have been, when a manifest or its image cannot be processed.</summary>
public sealed record ErrorInfo(string Code, string Message);

public sealed record JobError
{
    public string? RequestId { get; init; }
    public required string Manifest { get; init; }
    public required ErrorInfo Error { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
}
