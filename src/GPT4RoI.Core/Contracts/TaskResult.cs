namespace GPT4RoI.Core.Contracts;

public sealed record TaskResult
{
    public string? Id { get; init; }
    public List<TurnResult> Turns { get; init; } = [];
    /// <summary>Set when the task failed; the other tasks of the manifest still ran.</summary>
    public ErrorInfo? Error { get; init; }
}
