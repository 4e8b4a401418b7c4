using System.Diagnostics;

namespace GPT4RoI.Core.Inference;

/// <summary>Counts runs and stopwatch ticks per graph, lock-free and without allocating (it sits on the decode step).</summary>
internal sealed class OrtRunClock
{
    public const int Vision = 0;
    public const int RegionHead = 1;
    public const int Prefill = 2;
    public const int Step = 3;

    private readonly long[] _runs = new long[4];
    private readonly long[] _ticks = new long[4];

    /// <summary>Records one run of <paramref name="graph"/> that started at <paramref name="startTimestamp"/>
    /// (<see cref="Stopwatch.GetTimestamp"/>) and ended now.</summary>
    public void Add(int graph, long startTimestamp)
    {
        Interlocked.Increment(ref _runs[graph]);
        Interlocked.Add(ref _ticks[graph], Stopwatch.GetTimestamp() - startTimestamp);
    }

    public OrtRunTimes Read() => new(
        Volatile.Read(ref _runs[Vision]), Seconds(Vision),
        Volatile.Read(ref _runs[RegionHead]), Seconds(RegionHead),
        Volatile.Read(ref _runs[Prefill]), Seconds(Prefill),
        Volatile.Read(ref _runs[Step]), Seconds(Step));

    private double Seconds(int graph) => (double)Volatile.Read(ref _ticks[graph]) / Stopwatch.Frequency;
}
