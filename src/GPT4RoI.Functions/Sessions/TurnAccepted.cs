namespace GPT4RoI.Functions.Sessions;

/// <summary>The turn was handed to the session's orchestration: from here on the transcript will hold it.</summary>
public sealed record TurnAccepted(string SessionId, string TurnId) : SessionStreamEvent;
