namespace GPT4RoI.Core.Contracts;

/// <summary>One turn: its question and new boxes (numbered when the turn succeeded), and its answer or error.</summary>
public sealed record SessionTurn
{
    /// <summary>The turn's id, 32 hex digits, given when the turn was submitted (JSON <c>turn_id</c>).</summary>
    public required string TurnId { get; init; }
    /// <summary>The question as asked (JSON <c>question</c>).</summary>
    public required string Question { get; init; }
    /// <summary>The boxes this turn introduced; <c>region</c> is null when the turn failed (no number was given out).</summary>
    public required List<SessionRegion> Regions { get; init; }
    /// <summary>The answer; null when the turn failed (JSON <c>answer</c>).</summary>
    public string? Answer { get; init; }
    /// <summary>Why the turn failed (<c>invalid_region</c>, <c>invalid_question</c>, …); null when answered (JSON <c>error</c>).</summary>
    public ErrorInfo? Error { get; init; }
    /// <summary><c>StopString</c>, <c>EndOfSequence</c> or <c>MaxNewTokens</c>; null when the turn failed (JSON <c>stop_reason</c>).</summary>
    public string? StopReason { get; init; }
    /// <summary>Tokens in the whole prompt of this turn, earlier turns included; null when the turn failed
    /// (JSON <c>prompt_tokens</c>).</summary>
    public int? PromptTokens { get; init; }
    /// <summary>Tokens generated, EOS not counted, prefix and stop string included; null when the turn failed
    /// (JSON <c>generated_tokens</c>).</summary>
    public int? GeneratedTokens { get; init; }
    /// <summary>When the turn was submitted to the session, UTC (JSON <c>submitted_utc</c>).</summary>
    public DateTimeOffset? SubmittedUtc { get; init; }
    /// <summary>When the turn was answered or refused, UTC (JSON <c>completed_utc</c>).</summary>
    public required DateTimeOffset CompletedUtc { get; init; }
    /// <summary>Milliseconds, rounded to 0.01: <c>replay</c> (rebuilding the conversation), <c>prefill</c>, <c>decode</c>
    /// and <c>total</c>; null when the turn failed (JSON <c>timings_ms</c>).</summary>
    public Dictionary<string, double>? TimingsMs { get; init; }
}
