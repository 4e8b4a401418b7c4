namespace GPT4RoI.Functions.Sessions;

/// <summary>The external event "turn": small on purpose (no image, no transcript). <paramref name="Stream"/>: a request
/// streams the answer, so an activity that cannot hand the tokens over in-process relays them through storage.</summary>
public sealed record TurnEvent(string TurnId, string Question, List<double[]>? Regions, DateTimeOffset SubmittedUtc, bool Stream = false);
