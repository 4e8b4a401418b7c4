namespace GPT4RoI.Core.Contracts;

/// <summary>One turn: its question and new boxes (numbered when the turn succeeded), and its answer or error.</summary>
public sealed record SessionTurn
{
    public required string TurnId { get; init; }
    public required string Question { get; init; }
    /// <summary>The boxes this turn introduced; <c>region</c> is null when the turn failed (no number was given out).</summary>
    public required List<SessionRegion> Regions { get; init; }
    public string? Answer { get; init; }
    public ErrorInfo? Error { get; init; }
    public string? StopReason { get; init; }
    public int? PromptTokens { get; init; }
    public int? GeneratedTokens { get; init; }
    public DateTimeOffset? SubmittedUtc { get; init; }
    public required DateTimeOffset CompletedUtc { get; init; }
    public Dictionary<string, double>? TimingsMs { get; init; }
}
