namespace GPT4RoI.Functions.Sessions;

/// <summary>The orchestration's custom status (kept well under the 16 KB limit).</summary>
public sealed record SessionCustomStatus(string State, int Turns, string? LastTurnId, string? LastError);
