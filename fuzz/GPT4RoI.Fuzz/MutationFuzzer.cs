using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace GPT4RoI.Fuzz;

/// <summary>
/// The in-process mutation fuzzer: runs a target's seeds, then random mutations of them (and of inputs that reached
/// an outcome not seen before) until an execution or time budget is spent. Unexpected exceptions, slow executions
/// and hangs are findings; each distinct one keeps its first input.
/// </summary>
internal sealed class MutationFuzzer(FuzzTarget target, FuzzRunOptions options, TextWriter log)
{
    private const int MaxCorpus = 4096;
    private const int MaxOutcomes = 100_000;

    private readonly Dictionary<string, FuzzFinding> _findings = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outcomes = new(StringComparer.Ordinal);
    private long _runningSince;
    private long _slowReported;
    private byte[]? _current;

    public FuzzRunResult Run(IReadOnlyList<byte[]> seeds)
    {
        var random = new Random(options.Seed);
        var mutator = new Mutator(random, target.Dictionary, target.MaxInputBytes);
        var corpus = new List<byte[]>(seeds.Count > 0 ? seeds : [[]]);
        long executions = 0;
        double slowest = 0;
        var clock = Stopwatch.StartNew();
        var nextProgress = options.ProgressInterval;
        using var watchdog = StartWatchdog();

        foreach (var seed in corpus.ToList())
        {
            Execute(seed, ref executions, ref slowest, corpus, keepNew: false);
        }

        while (executions < options.MaxExecutions && clock.Elapsed < options.MaxTime)
        {
            var seed = corpus[random.Next(corpus.Count)];
            var other = corpus[random.Next(corpus.Count)];
            Execute(mutator.Mutate(seed, other), ref executions, ref slowest, corpus, keepNew: true);
            if (options.ProgressInterval > TimeSpan.Zero && clock.Elapsed >= nextProgress)
            {
                nextProgress += options.ProgressInterval;
                log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {target.Name}: {executions} executions, {executions / clock.Elapsed.TotalSeconds:0} exec/s, corpus {corpus.Count}, {_outcomes.Count} outcomes, {_findings.Count} findings"));
            }
        }

        Volatile.Write(ref _runningSince, -1);
        return new FuzzRunResult(
            target.Name, executions, clock.Elapsed, seeds.Count, corpus.Count, _outcomes.Count, slowest, [.. _findings.Values], _slowReported);
    }

    private void Execute(byte[] input, ref long executions, ref double slowest, List<byte[]> corpus, bool keepNew)
    {
        _current = input;
        var start = Stopwatch.GetTimestamp();
        Volatile.Write(ref _runningSince, start);
        var (unexpected, outcome) = target.Execute(input);
        var elapsed = Stopwatch.GetElapsedTime(start);
        Volatile.Write(ref _runningSince, 0);
        executions++;
        slowest = Math.Max(slowest, elapsed.TotalMilliseconds);

        if (_outcomes.Count < MaxOutcomes && _outcomes.Add(outcome) && keepNew && corpus.Count < MaxCorpus)
        {
            corpus.Add(input);
        }

        if (unexpected is not null)
        {
            var frame = unexpected.StackTrace?.Split('\n', 2)[0].Trim() ?? "";
            Record("exception", $"{unexpected.GetType().FullName} {frame}", unexpected.ToString(), input, executions);
        }

        // A slow execution counts when a second run of the same input is slow too (a GC pause or a busy machine is not a finding).
        if (elapsed > options.SlowThreshold && !options.SlowIsFinding)
        {
            _slowReported++;
        }
        else if (elapsed > options.SlowThreshold && IsSlowAgain(input))
        {
            Record(
                "slow",
                $"slow {outcome}",
                string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalMilliseconds:0} ms; outcome {outcome}"),
                input,
                executions);
        }
    }

    private bool IsSlowAgain(byte[] input)
    {
        var start = Stopwatch.GetTimestamp();
        Volatile.Write(ref _runningSince, start);
        target.Execute(input);
        Volatile.Write(ref _runningSince, 0);
        return Stopwatch.GetElapsedTime(start) > options.SlowThreshold;
    }

    private void Record(string kind, string signature, string detail, byte[] input, long execution)
    {
        if (_findings.ContainsKey(signature))
        {
            return;
        }

        var path = Save(kind, input, detail);
        _findings[signature] = new FuzzFinding(kind, signature, detail, path, execution);
        log.WriteLine($"  {target.Name}: FINDING {kind}: {signature}{(path is null ? "" : " -> " + path)}");
    }

    private string? Save(string kind, byte[] input, string detail)
    {
        if (options.FindingsDir is null)
        {
            return null;
        }

        var dir = Path.Combine(options.FindingsDir, target.Name);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{kind}-{Convert.ToHexStringLower(SHA256.HashData(input))[..16]}.bin");
        File.WriteAllBytes(path, input);
        File.WriteAllText(path + ".txt", detail + Environment.NewLine);
        return path;
    }

    /// <summary>A thread that saves the running input and ends the process when one execution passes the hang timeout.</summary>
    private Timer StartWatchdog() => new(
        _ =>
        {
            var since = Volatile.Read(ref _runningSince);
            if (since <= 0 || Stopwatch.GetElapsedTime(since) < options.HangTimeout)
            {
                return;
            }

            var input = _current ?? [];
            var path = Save("hang", input, $"still running after {options.HangTimeout}");
            log.WriteLine($"  {target.Name}: FINDING hang: an execution ran past {options.HangTimeout}{(path is null ? "" : " -> " + path)}");
            log.Flush();
            Environment.Exit(3);
        },
        null,
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(1));
}
