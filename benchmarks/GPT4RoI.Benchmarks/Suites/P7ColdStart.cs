using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P7: cold start. The README's first command as a new process (<c>dotnet gpt4roi.dll ask samples/shapes.png --region
/// 95,70,215,190 "What is &lt;region1&gt;?" --cpu</c>, built in Release by scripts/bench.sh), from process start to its
/// exit after printing the answer, against what the answer needs in a warm process: loading the model (manifest,
/// file hashes, tokenizer, embeddings, the three graphs) plus one query on an engine that has answered before (image
/// decode, vision with the feature cache off, regions, answer). Figure: cold / (load + warm query), goal at most 1.3.
/// </summary>
public static class P7ColdStart
{
    public const string Id = "P7";

    private static readonly BoundingBox[] Box = [new(95, 70, 215, 190)];
    private const string Question = "What is <region1>?";

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cli = Path.Combine(EngineBench.RepoRoot, "src", "GPT4RoI.Cli", "bin", "Release", "net10.0", "gpt4roi.dll");
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"{cli} is missing: build it with `dotnet build src/GPT4RoI.Cli -c Release` (scripts/bench.sh does)", cli);
        }

        var builds = new List<(string Name, string Dll)> { ("build (JIT)", cli) };
        var r2r = Path.Combine(context.RunDirectory, "cli-r2r", "gpt4roi.dll");
        if (File.Exists(r2r))
        {
            builds.Add(("publish ReadyToRun", r2r));
        }

        var bytes = File.ReadAllBytes(EngineBench.SampleImage);
        var answer = "";
        var colds = builds.Select(b => (b.Name, Seconds: EngineBench.Repeat(context, () =>
        {
            var started = Stopwatch.GetTimestamp();
            answer = RunCli(b.Dll);
            return EngineBench.Seconds(started);
        }))).ToList();

        var warmQuery = new List<double>();
        var load = EngineBench.Repeat(context, () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = EngineBench.TinyModel, ForceCpu = true, ImageCacheBytes = 0 });
            var loaded = EngineBench.Seconds(started);
            Query(engine, bytes);
            started = Stopwatch.GetTimestamp();
            Query(engine, bytes);
            warmQuery.Add(EngineBench.Seconds(started));
            return loaded;
        });

        var loadMedian = EngineBench.Median(load);
        var queryMedian = EngineBench.Median(warmQuery.Skip(warmQuery.Count - load.Length).ToArray());
        var results = new JsonArray();
        foreach (var (name, cold) in colds)
        {
            var coldMedian = EngineBench.Median(cold);
            var ratio = coldMedian / (loadMedian + queryMedian);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[csharp] P7 {name}: cold process {coldMedian:0.000} s (answer \"{answer}\"), load {loadMedian:0.000} s + warm query {queryMedian:0.000} s, ratio {ratio:0.00}"));
            results.Add(new JsonObject
            {
                ["cli"] = name,
                ["cold_process_median_s"] = coldMedian,
                ["cold_process_min_s"] = cold.Min(),
                ["load_median_s"] = loadMedian,
                ["warm_query_median_s"] = queryMedian,
                ["ratio"] = ratio,
                ["answer"] = answer,
                ["iterations"] = cold.Length,
            });
        }

        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["timing"] = EngineBench.Timing(context),
            ["results"] = results,
        };
    }

    private static void Query(Gpt4RoIEngine engine, byte[] bytes)
    {
        using var image = ImageDecoder.Decode(bytes, "shapes.png");
        using var session = engine.StartSession(image);
        session.Ask(Question, Box);
    }

    private static string RunCli(string cli)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = EngineBench.RepoRoot,
        };
        foreach (var arg in new[] { cli, "ask", "samples/shapes.png", "--region", "95,70,215,190", Question, "--cpu", "--model", EngineBench.TinyModel })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"gpt4roi ask exited with {process.ExitCode}: {stderr.Result}");
        }

        return stdout.Trim();
    }
}
