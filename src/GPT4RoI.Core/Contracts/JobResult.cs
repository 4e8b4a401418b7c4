namespace GPT4RoI.Core.Contracts;

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
