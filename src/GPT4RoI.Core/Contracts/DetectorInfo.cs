namespace GPT4RoI.Core.Contracts;

/// <summary>The detector that supplied the regions (JSON <c>detector</c>).</summary>
/// <param name="Id">The detector manifest's <c>model_id</c> (JSON <c>id</c>).</param>
/// <param name="ExecutionProvider"><c>CUDA</c> or <c>CPU</c> (JSON <c>execution_provider</c>).</param>
/// <param name="ScoreThreshold">The score a detection needed, strictly above (JSON <c>score_threshold</c>).</param>
public sealed record DetectorInfo(string Id, string ExecutionProvider, double ScoreThreshold);
