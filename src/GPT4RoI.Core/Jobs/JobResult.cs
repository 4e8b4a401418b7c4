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

public sealed record TurnResult
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
}

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
