using System.Globalization;

namespace GPT4RoI.Benchmarks.Infrastructure;

/// <summary>
/// What one invocation of the benchmark program was asked to do. The benchmarks run in process
/// (<see cref="BdnRunner"/>), so benchmark classes read it from <see cref="Current"/> in their setup and parameter sources.
/// </summary>
public sealed class BenchContext
{
    private static BenchContext? _current;

    public BenchContext(string runDirectory, IReadOnlyList<int> threads, bool quick)
    {
        RunDirectory = runDirectory;
        Threads = threads;
        Quick = quick;
    }

    /// <summary>The context of this run; set once by <c>Program</c> before any suite runs.</summary>
    public static BenchContext Current
    {
        get => _current ?? throw new InvalidOperationException("No benchmark run is set up (run through scripts/bench.sh).");
        set => _current = value;
    }

    /// <summary>The run folder: the Python side wrote each benchmark's inputs and baselines into <c>p1/</c>, <c>p2/</c>, ...</summary>
    public string RunDirectory { get; }

    /// <summary>Thread counts to measure at (the same list the Python baselines got).</summary>
    public IReadOnlyList<int> Threads { get; }

    /// <summary>Smoke-test mode: fewer cases and iterations.</summary>
    public bool Quick { get; }

    /// <summary>The folder of one benchmark, e.g. <c>run/p1</c>.</summary>
    public string BenchDirectory(string id) => Path.Combine(RunDirectory, id.ToLowerInvariant());

    public static IReadOnlyList<int> ParseThreads(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        if (values.Length == 0 || values.Any(v => v < 1))
        {
            throw new ArgumentException($"--threads must be a comma-separated list of positive integers, got '{text}'.", nameof(text));
        }

        return values;
    }
}
