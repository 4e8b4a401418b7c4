namespace GPT4RoI.Core.Contracts;

/// <summary>The transcript blob <c>sessions/{id}/transcript.json</c>: the durable record of a session.</summary>
public sealed record SessionTranscript
{
    public required string Id { get; init; }
    public required string State { get; init; }
    public required SessionImageInfo Image { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
    public DateTimeOffset UpdatedUtc { get; init; }
    public DateTimeOffset? ExpiredUtc { get; init; }
    public DateTimeOffset? DeletedUtc { get; init; }
    public List<SessionTurn> Turns { get; init; } = [];
}
