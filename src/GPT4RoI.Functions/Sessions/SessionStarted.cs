namespace GPT4RoI.Functions.Sessions;

/// <summary>The session exists (image stored, orchestration started); its first turn follows.</summary>
public sealed record SessionStarted(string SessionId) : SessionStreamEvent;
