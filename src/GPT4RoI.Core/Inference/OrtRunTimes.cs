namespace GPT4RoI.Core.Inference;

/// <summary>
/// Time spent inside ONNX Runtime since the engine was loaded, per graph: what the engine's own code adds on top of it
/// is the glue (docs/performance.md, P5). Cumulative over every caller; take two readings and subtract them.
/// </summary>
/// <param name="VisionRuns">Vision encoder runs.</param>
/// <param name="VisionSeconds">Seconds in those runs.</param>
/// <param name="RegionHeadRuns">Region head runs.</param>
/// <param name="RegionHeadSeconds">Seconds in those runs.</param>
/// <param name="PrefillRuns">Decoder runs over a prompt (one per answer).</param>
/// <param name="PrefillSeconds">Seconds in those runs.</param>
/// <param name="StepRuns">Batched decoder steps (one token for every active answer).</param>
/// <param name="StepSeconds">Seconds in those runs.</param>
public sealed record OrtRunTimes(
    long VisionRuns, double VisionSeconds,
    long RegionHeadRuns, double RegionHeadSeconds,
    long PrefillRuns, double PrefillSeconds,
    long StepRuns, double StepSeconds)
{
    /// <summary>Seconds in every graph together.</summary>
    public double TotalSeconds => VisionSeconds + RegionHeadSeconds + PrefillSeconds + StepSeconds;

    /// <summary>The time between an earlier reading and this one.</summary>
    public OrtRunTimes Since(OrtRunTimes earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return new OrtRunTimes(
            VisionRuns - earlier.VisionRuns, VisionSeconds - earlier.VisionSeconds,
            RegionHeadRuns - earlier.RegionHeadRuns, RegionHeadSeconds - earlier.RegionHeadSeconds,
            PrefillRuns - earlier.PrefillRuns, PrefillSeconds - earlier.PrefillSeconds,
            StepRuns - earlier.StepRuns, StepSeconds - earlier.StepSeconds);
    }
}
