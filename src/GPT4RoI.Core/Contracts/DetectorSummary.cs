namespace GPT4RoI.Core.Contracts;

/// <summary>The detector an instance can use (JSON <c>detector</c> of the health answer), read from its manifest
/// without loading its graph.</summary>
/// <param name="Model">The detector manifest's <c>model_id</c>.</param>
/// <param name="Classes">How many classes it detects.</param>
public sealed record DetectorSummary(string Model, int Classes);
