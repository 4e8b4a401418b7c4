using GPT4RoI.Core.Errors;

namespace GPT4RoI.Functions.Sessions;

/// <summary>What the AnswerTurn activity returns: a small summary, never the answer text's transcript.</summary>
/// <param name="TurnId">The turn.</param>
/// <param name="Ok">Whether it was answered.</param>
/// <param name="ErrorCode">Why not, when it was not.</param>
/// <param name="TurnCount">Turns in the transcript now.</param>
/// <param name="State">The session's state after the turn (a deleted session ends the orchestration).</param>
public sealed record TurnSummary(string TurnId, bool Ok, ErrorCode? ErrorCode, int TurnCount, string State);
