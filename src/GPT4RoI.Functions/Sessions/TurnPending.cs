namespace GPT4RoI.Functions.Sessions;

/// <summary>No answer within the wait (or the session ended first): the transcript will say what became of the turn.</summary>
public sealed record TurnPending(string SessionId, string TurnId) : SessionStreamEvent;
