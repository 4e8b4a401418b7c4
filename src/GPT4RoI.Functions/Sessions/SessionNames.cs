namespace GPT4RoI.Functions.Sessions;

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
