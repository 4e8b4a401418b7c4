namespace GPT4RoI.Core.Contracts;

/// <summary>The transcript blob <c>sessions/{id}/transcript.json</c>: the durable record of a session.</summary>
public sealed record SessionTranscript
{
    /// <summary>Session id, 32 hex digits; also the orchestration's instance id (JSON <c>id</c>).</summary>
    public required string Id { get; init; }
    /// <summary>One of <see cref="SessionStates"/>: <c>active</c>, <c>expired</c> or <c>deleted</c> (JSON <c>state</c>).</summary>
    public required string State { get; init; }
    /// <summary>The session's image (JSON <c>image</c>).</summary>
    public required SessionImageInfo Image { get; init; }
    /// <summary>When the session was created, UTC (JSON <c>created_utc</c>).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }
    /// <summary>Last change to the transcript: creation, a turn, expiry or deletion (JSON <c>updated_utc</c>).</summary>
    public DateTimeOffset UpdatedUtc { get; init; }
    /// <summary>When the session expired; set only in state <c>expired</c> (JSON <c>expired_utc</c>).</summary>
    public DateTimeOffset? ExpiredUtc { get; init; }
    /// <summary>When the session was deleted; set only in state <c>deleted</c> (JSON <c>deleted_utc</c>).</summary>
    public DateTimeOffset? DeletedUtc { get; init; }
    /// <summary>Every turn in the order taken, failed ones included (JSON <c>turns</c>).</summary>
    public List<SessionTurn> Turns { get; init; } = [];
}
