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

    /// <summary>The answer so far of a streamed turn answered on another instance than its request (deleted once the
    /// turn is in the transcript).</summary>
    public static string PartialAnswer(string id, string turnId) => $"{id}/turns/{turnId}.partial.txt";

    /// <summary>A request to stop a turn's answer, for the instance that answers it (deleted once the turn is recorded).</summary>
    public static string StopRequest(string id, string turnId) => $"{id}/turns/{turnId}.stop";

    /// <summary>The prefix of a session's per-turn working files (<see cref="PartialAnswer"/>, <see cref="StopRequest"/>).</summary>
    public static string TurnFiles(string id) => id + "/turns/";

    /// <summary>A session id is a GUID in "N" form (32 lowercase hex digits).</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
