using GPT4RoI.Core.Jobs;

namespace GPT4RoI.Functions.Services;

/// <summary>Session states as stored in the transcript.</summary>
public static class SessionStates
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Deleted = "deleted";
}

/// <summary>Blob names in the <c>sessions</c> container and the durable names.</summary>
public static class SessionNames
{
    public const string Orchestrator = "SessionOrchestrator";
    public const string AnswerTurnActivity = "AnswerTurn";
    public const string ExpireActivity = "ExpireSession";
    public const string TurnEvent = "turn";

    public static string Image(string id) => id + "/image";
    public static string Transcript(string id) => id + "/transcript.json";

    /// <summary>A session id is a GUID in "N" form (32 lowercase hex digits).</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}

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

public sealed record SessionImageInfo(string Sha256, long Size, string? Source);

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

public sealed record SessionRegion(int? Region, double[] Box);

/// <summary>The external event "turn": small on purpose (no image, no transcript).</summary>
public sealed record TurnEvent(string TurnId, string Question, List<double[]>? Regions, DateTimeOffset SubmittedUtc);

/// <summary>Input of the orchestration (also its input after ContinueAsNew).</summary>
public sealed record SessionOrchestratorInput(string SessionId, TimeSpan IdleTimeout, int TurnsPerHistory, int TurnCount = 0, string? LastTurnId = null);

public sealed record AnswerTurnInput(string SessionId, TurnEvent Turn);

/// <summary>What the AnswerTurn activity returns: a small summary, never the answer text's transcript.</summary>
/// <param name="State">The session's state after the turn (a deleted session ends the orchestration).</param>
public sealed record TurnSummary(string TurnId, bool Ok, string? ErrorCode, int TurnCount, string State);

/// <summary>The orchestration's custom status (kept well under the 16 KB limit).</summary>
public sealed record SessionCustomStatus(string State, int Turns, string? LastTurnId, string? LastError);
