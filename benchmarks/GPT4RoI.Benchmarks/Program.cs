using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Running;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Benchmarks.Suites;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;

namespace GPT4RoI.Benchmarks;

/// <summary>
/// The C# side of <c>scripts/bench.sh</c>: <c>gpt4roi-benchmarks --run DIR [--suites P1,P2] [--threads 1,2] [--quick]</c>;
/// and <c>gpt4roi-benchmarks --probe decoder-step</c>, a diagnostic of the decoder step's time (<see cref="DecoderStepProbe"/>).
/// For each suite it reads the inputs the Python side wrote into <c>DIR/pN/</c>, runs its BenchmarkDotNet class and writes
/// <c>DIR/pN/csharp.json</c>; <c>DIR/csharp-env.json</c> describes the runtime. The report (benchmarks/python/report.py)
/// joins these with the Python baselines.
/// </summary>
public static class Program
{
    /// <summary>
    /// Every benchmark of the performance issue, in order. A suite that is not written yet maps to null; add its class under
    /// Suites/ and its entry here (docs/performance.md, "Adding a benchmark").
    /// </summary>
    private static readonly Dictionary<string, Func<BenchContext, JsonObject>?> Suites = new(StringComparer.OrdinalIgnoreCase)
    {
        [P1RoiAlign.Id] = P1RoiAlign.Run,
        [P2ImageInput.Id] = P2ImageInput.Run,
        [P3Decode.Id] = P3Decode.Run,
        [P4MultiTurn.Id] = P4MultiTurn.Run,
        [P5Glue.Id] = P5Glue.Run,
        [P6Concurrency.Id] = P6Concurrency.Run,
        [P7ColdStart.Id] = P7ColdStart.Run,
        [P8DetectorNms.Id] = P8DetectorNms.Run,
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--probe", "decoder-step"])
        {
            return DecoderStepProbe.Run();
        }

        string? run = null;
        var suites = "P1,P2";
        var threads = "1";
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--run" when i + 1 < args.Length:
                    run = args[++i];
                    break;
                case "--suites" when i + 1 < args.Length:
                    suites = args[++i];
                    break;
                case "--threads" when i + 1 < args.Length:
                    threads = args[++i];
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'");
                    Console.Error.WriteLine("usage: gpt4roi-benchmarks --run DIR [--suites P1,P2] [--threads 1,2] [--quick]   (run it through scripts/bench.sh)");
                    return 1;
            }
        }

        if (run is null || !Directory.Exists(run))
        {
            Console.Error.WriteLine("--run DIR is required and must exist (scripts/bench.sh creates it)");
            return 1;
        }

        var context = new BenchContext(Path.GetFullPath(run), BenchContext.ParseThreads(threads), quick);
        BenchContext.Current = context;
        WriteJson(Path.Combine(context.RunDirectory, "csharp-env.json"), Environment());

        var status = 0;
        foreach (var id in suites.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Suites.TryGetValue(id, out var suite))
            {
                Console.Error.WriteLine($"[csharp] unknown benchmark '{id}' (known: {string.Join(", ", Suites.Keys)})");
                status = 1;
                continue;
            }

            var path = Path.Combine(context.BenchDirectory(id), "csharp.json");
            Directory.CreateDirectory(context.BenchDirectory(id));
            if (suite is null)
            {
                Console.Error.WriteLine($"[csharp] {id}: the C# side is not written yet");
                WriteJson(path, new JsonObject { ["benchmark"] = id.ToUpperInvariant(), ["side"] = "csharp", ["not_implemented"] = true });
                continue;
            }

            Console.Error.WriteLine($"[csharp] {id}: running (BenchmarkDotNet log: {Path.Combine(context.BenchDirectory(id), "bdn.log")})");
            var started = DateTime.UtcNow;
            var loadStart = LoadAverage();
            var result = suite(context);
            result["wall_s"] = (DateTime.UtcNow - started).TotalSeconds;
            result["loadavg"] = new JsonArray(loadStart, LoadAverage());
            WriteJson(path, result);
            Console.Error.WriteLine($"[csharp] {id}: done in {(DateTime.UtcNow - started).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        }

        return status;
    }

    private static JsonObject Environment() => new()
    {
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["arch"] = RuntimeInformation.ProcessArchitecture.ToString(),
        ["processor_count"] = System.Environment.ProcessorCount,
        ["vector_float_lanes"] = Vector<float>.Count,
        ["vector512_accelerated"] = Vector512.IsHardwareAccelerated,
        ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
        ["onnxruntime"] = OrtEnv.Instance().GetVersionString(),
        ["onnxruntime_managed"] = InformationalVersion(typeof(OrtEnv)),
        ["benchmarkdotnet"] = InformationalVersion(typeof(BenchmarkRunner)),
        ["imagesharp"] = InformationalVersion(typeof(Image)),
    };

    /// <summary>The package version of the assembly that defines <paramref name="type"/> (without a source-commit suffix).</summary>
    private static string? InformationalVersion(Type type) =>
        type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? type.Assembly.GetName().Version?.ToString();

    /// <summary>1-minute load average from /proc/loadavg (null elsewhere).</summary>
    private static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(Indented) + "\n");
}
