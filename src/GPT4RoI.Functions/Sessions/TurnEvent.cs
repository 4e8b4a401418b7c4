namespace GPT4RoI.Functions.Sessions;

/// <summary>The external event "turn": small on purpose (no image, no transcript).</summary>
public sealed record TurnEvent(string TurnId, string Question, List<double[]>? Regions, DateTimeOffset SubmittedUtc);
