namespace GPT4RoI.Core.Contracts;

/// <summary>The result of one manifest task (an entry of a result's <c>tasks</c>).</summary>
public sealed record TaskResult
{
    /// <summary>The task's <c>id</c> from the manifest, echoed (JSON <c>id</c>).</summary>
    public string? Id { get; init; }
    /// <summary>The answered turns in order; on failure, those answered before the failing turn (JSON <c>turns</c>).</summary>
    public List<TurnResult> Turns { get; init; } = [];
    /// <summary>Set when the task failed; the other tasks of the manifest still ran.</summary>
    public ErrorInfo? Error { get; init; }
}
