using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Functions.Sessions;

/// <summary>A submitted turn: its id, and the recorded turn (answer or error) if it completed within the wait.</summary>
public sealed record TurnSubmitted(string TurnId, SessionTurn? Done);
