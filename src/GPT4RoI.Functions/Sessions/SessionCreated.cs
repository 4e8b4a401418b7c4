namespace GPT4RoI.Functions.Sessions;

/// <summary>A new session, and its first turn when the request asked a question.</summary>
public sealed record SessionCreated(string Id, TurnSubmitted? FirstTurn);
