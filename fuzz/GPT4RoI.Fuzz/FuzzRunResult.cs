using System.Globalization;

namespace GPT4RoI.Fuzz;

/// <summary>What one target's run did: executions, time, distinct outcomes and findings.</summary>
internal sealed record FuzzRunResult(
    string Target, long Executions, TimeSpan Elapsed, int Seeds, int CorpusSize, int Outcomes, double SlowestMs,
    IReadOnlyList<FuzzFinding> Findings, long SlowNotCounted = 0)
{
    public double Rate => Elapsed.TotalSeconds > 0 ? Executions / Elapsed.TotalSeconds : 0;

    public string Summary => string.Create(
        CultureInfo.InvariantCulture,
        $"{Target}: {Executions} executions in {Elapsed.TotalSeconds:0.0} s ({Rate:0} exec/s), {Seeds} seeds, corpus {CorpusSize}, {Outcomes} distinct outcomes, slowest {SlowestMs:0.0} ms{(SlowNotCounted > 0 ? $" ({SlowNotCounted} executions over 1 s, not counted)" : "")}, {Findings.Count} findings");
}
