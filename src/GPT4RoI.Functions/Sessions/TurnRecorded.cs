using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Functions.Sessions;

/// <summary>The turn as the transcript records it: its answer, or the error that refused it.</summary>
public sealed record TurnRecorded(string SessionId, SessionTurn Turn) : SessionStreamEvent;
