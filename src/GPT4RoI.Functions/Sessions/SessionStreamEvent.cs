namespace GPT4RoI.Functions.Sessions;

/// <summary>What a streamed session request reports, in order: <see cref="SessionStarted"/> (creation only),
/// <see cref="TurnAccepted"/>, <see cref="TurnDelta"/>s, then <see cref="TurnRecorded"/> or <see cref="TurnPending"/>.</summary>
public abstract record SessionStreamEvent;
