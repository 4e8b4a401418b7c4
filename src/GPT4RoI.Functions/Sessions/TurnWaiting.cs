namespace GPT4RoI.Functions.Sessions;

/// <summary>A streamed turn has no token yet after <paramref name="Waited"/> (it may be queued behind earlier turns
/// of the session, or answered on another instance); sent every <see cref="FunctionsOptions.SessionProgressInterval"/>.</summary>
public sealed record TurnWaiting(string SessionId, string TurnId, TimeSpan Waited) : SessionStreamEvent;
