using System.Diagnostics;
using System.Text.Json.Nodes;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Infrastructure;

/// <summary>
/// What the engine benchmarks (P3..P7) share: the repository's paths, the questions of the Python P3 baseline, engines
/// at a given thread count, fixed-length generation and a plain repeat-and-take-the-median timer. These run whole
/// answers (milliseconds to seconds each) through the real decode loop, whose own thread BenchmarkDotNet cannot drive,
/// so they time with <see cref="Stopwatch"/>: the same warm-up and iteration counts for every case, the median and the
/// minimum reported, as the Python side does.
/// </summary>
internal static class EngineBench
{
    /// <summary>The questions of benchmarks/python/p3_decode.py (boxes in pixels of samples/shapes.png).</summary>
    public static readonly (string Name, string Question, BoundingBox[] Boxes)[] Prompts =
    [
        ("what_1_region", "What is <region1>?", [new(95, 70, 215, 190)]),
        ("relation_2_regions", "Where is <region1> relative to <region2>?", [new(95, 70, 215, 190), new(396, 130, 476, 212)]),
    ];

    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root (the folder holding GPT4RoI.Functions.sln).</summary>
    public static string RepoRoot => Root.Value;

    public static string TinyModel => Path.Combine(RepoRoot, "models", "tiny");

    public static string SampleImage => Path.Combine(RepoRoot, "samples", "shapes.png");

    /// <summary>An engine over the shipped tiny model on the CPU with <paramref name="threads"/> ONNX Runtime threads.</summary>
    public static Gpt4RoIEngine Engine(int threads, int maxBatch = 8, long imageCacheBytes = 256L * 1024 * 1024) =>
        new(new EngineOptions
        {
            ModelPath = TinyModel,
            ForceCpu = true,
            IntraOpThreads = threads,
            MaxBatch = maxBatch,
            ImageCacheBytes = imageCacheBytes,
        });

    /// <summary>Exactly <paramref name="tokens"/> new tokens: EOS and stop strings are ignored, as in the Python baseline.</summary>
    public static GenerationOptions FixedLength(int tokens) => new() { MinNewTokens = tokens, MaxNewTokens = tokens };

    public static DecodedImage DecodeSample() => ImageDecoder.Decode(File.ReadAllBytes(SampleImage), "shapes.png");

    /// <summary>Warm-up and measured iterations: quick 1 + 3, full 2 + 9 (whole answers, so fewer than BenchmarkDotNet's 15).</summary>
    public static (int Warmup, int Iterations) Counts(BenchContext context) => context.Quick ? (1, 3) : (2, 9);

    /// <summary>Runs <paramref name="measure"/> (which returns its own figure, e.g. seconds) warm-up + iteration times and
    /// returns the measured figures.</summary>
    public static double[] Repeat(BenchContext context, Func<double> measure)
    {
        var (warmup, iterations) = Counts(context);
        for (var i = 0; i < warmup; i++)
        {
            measure();
        }

        var values = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            values[i] = measure();
        }

        return values;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The timing record of every engine benchmark's JSON.</summary>
    public static JsonObject Timing(BenchContext context)
    {
        var (warmup, iterations) = Counts(context);
        return new JsonObject { ["warmup"] = warmup, ["iterations"] = iterations, ["timer"] = "Stopwatch, whole operations" };
    }

    public static double Seconds(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GPT4RoI.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no GPT4RoI.Functions.sln above {AppContext.BaseDirectory}");
    }
}
