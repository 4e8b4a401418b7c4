using System.Globalization;

namespace GPT4RoI.Fuzz;

/// <summary>The command line of the harness (see Program.cs for the usage).</summary>
internal static class FuzzCommand
{
    /// <summary>
    /// Executions per target of the smoke run: 2,730,000 in all, about 45 s on a quiet 2-core build machine and a few
    /// minutes on a loaded one (each target stops at 30 s in any case). Fixed counts with a fixed seed make the smoke run the same inputs every time.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, long> SmokeExecutions = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["manifest"] = 120_000,
        ["request-json"] = 180_000,
        ["multipart"] = 150_000,
        ["image-jpeg"] = 300_000,
        ["image-png"] = 600_000,
        ["image-webp"] = 30_000,
        ["image-gif"] = 450_000,
        ["image-bmp"] = 450_000,
        ["tokenizer-model"] = 150_000,
        ["prompt"] = 300_000,
    };

    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine("usage: gpt4roi-fuzz list | run TARGET|all [--seed N] [--execs N] [--seconds S] [--findings DIR] [--corpus DIR] [--junit FILE] [--lossless-webp]");
            output.WriteLine("       gpt4roi-fuzz smoke [--junit FILE] [--findings DIR] | repro TARGET FILE... | libfuzzer TARGET");
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "list" => List(output),
                "run" => RunTargets(args[1..], output, smoke: false),
                "smoke" => RunTargets(["all", .. args[1..]], output, smoke: true),
                "repro" => Repro(args[1..], output),
                "libfuzzer" => LibFuzzerEntry.Run(args[1..]),
                "seeds" => SeedCorpus.Write(args.Length > 1 ? args[1] : RepoLayout.CorpusRoot, output),
                _ => throw new ArgumentException($"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"gpt4roi-fuzz: {ex.Message}");
            return 2;
        }
    }

    private static int List(TextWriter output)
    {
        foreach (var name in FuzzTargets.Names)
        {
            output.WriteLine($"{name,-16} {FuzzTargets.Create(name).Description} ({FuzzTargets.Seeds(name).Count} seeds)");
        }

        return 0;
    }

    private static int RunTargets(string[] args, TextWriter output, bool smoke)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("run needs a target name or 'all'");
        }

        var names = args[0] == "all" ? FuzzTargets.Names : args[0].Split(',');
        var options = smoke
            ? new FuzzRunOptions { MaxTime = TimeSpan.FromSeconds(30), SlowIsFinding = false, HangTimeout = TimeSpan.FromMinutes(5) }
            : new FuzzRunOptions { MaxTime = TimeSpan.FromSeconds(60) };
        long? execs = null;
        string? junit = null, corpus = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--lossless-webp")
            {
                Targets.ImageTarget.IncludeLosslessWebp = true;
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seed":
                    options = options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) };
                    break;
                case "--execs":
                    execs = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    options = options with { MaxTime = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) };
                    break;
                case "--findings":
                    options = options with { FindingsDir = value };
                    break;
                case "--corpus":
                    corpus = value;
                    break;
                case "--junit":
                    junit = value;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }

            i++;
        }

        var results = new List<FuzzRunResult>();
        foreach (var name in names)
        {
            var target = FuzzTargets.Create(name);
            var limit = execs ?? (smoke ? SmokeExecutions[name] : long.MaxValue);
            var seeds = FuzzTargets.Seeds(name, corpus);
            var result = new MutationFuzzer(target, options with { MaxExecutions = limit }, output).Run(seeds);
            output.WriteLine(result.Summary);
            results.Add(result);
        }

        var findings = results.Sum(r => r.Findings.Count);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"fuzz: {results.Count} targets, {results.Sum(r => r.Executions)} executions in {results.Sum(r => r.Elapsed.TotalSeconds):0.0} s, {findings} findings (seed {options.Seed})"));
        if (junit is not null)
        {
            JUnitReport.Write(junit, results);
        }

        return findings == 0 ? 0 : 1;
    }

    private static int Repro(string[] args, TextWriter output)
    {
        if (args.Length < 2)
        {
            throw new ArgumentException("repro needs a target and at least one input file");
        }

        var target = FuzzTargets.Create(args[0]);
        var failed = 0;
        foreach (var file in args[1..])
        {
            var data = File.ReadAllBytes(file);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var (unexpected, outcome) = target.Execute(data);
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {(unexpected is null ? "ok" : "UNEXPECTED")} in {ms:0.0} ms: {outcome}"));
            if (unexpected is not null)
            {
                output.WriteLine(unexpected);
                failed++;
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
