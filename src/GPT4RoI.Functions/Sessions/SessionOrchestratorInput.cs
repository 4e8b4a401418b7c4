namespace GPT4RoI.Functions.Sessions;

/// <summary>Input of the orchestration (also its input after ContinueAsNew).</summary>
public sealed record SessionOrchestratorInput(string SessionId, TimeSpan IdleTimeout, int TurnsPerHistory, int TurnCount = 0, string? LastTurnId = null);
