using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Inference;
using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P1: multi-level RoIAlign on GPT4RoI-7B shapes (1024 channels, maps 128/64/32/16, 14x14, sampling 2, aligned).
/// Inputs come from benchmarks/python/p1_roi_align.py (run/p1/): the channels-last maps, the boxes, the one-node
/// RoiAlign-16 graphs and torchvision's outputs.
/// </summary>
/// <remarks>
/// Implementations, all into preallocated outputs, at T threads:
/// <list type="bullet">
/// <item><c>CSharp</c>: <see cref="RoiAlign.Compute"/> at T = 1 (what the engine calls), <see cref="RoiAlign.ComputeParallel"/>
/// with MaxDegreeOfParallelism T otherwise; channels-last maps in, [N, 4, 14, 14, C] out.</item>
/// <item><c>CSharpBefore</c>: the same on the pre-optimisation copy (<see cref="RoiAlignV0"/>).</item>
/// <item><c>OrtNchw</c>: ONNX Runtime's RoiAlign on its native layout: NCHW maps (transposed once in setup, not timed),
/// [N, C, 14, 14] out per level; four session runs, intra-op threads T.</item>
/// <item><c>OrtNhwc</c>: the channels-last maps through Transpose → RoiAlign → Transpose in the graph, so the layout change
/// the engine would need is counted.</item>
/// </list>
/// </remarks>
public static class P1RoiAlign
{
    public const string Id = "P1";

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = P1Data.Load(context);
        var errors = new JsonArray();
        foreach (var n in data.BoxCounts)
        {
            errors.Add(CheckOutputs(data, n, context.Threads.Max()));
        }

        var (oddCases, oddDiffering) = CheckOddShapes();
        var results = BdnRunner.Run(typeof(RoiAlignBenchmarks), context, Id);
        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["threads"] = new JsonArray(context.Threads.Select(t => (JsonNode)t).ToArray()),
            ["results"] = results,
            ["errors"] = errors,
            ["odd_shapes"] = new JsonObject { ["cases"] = oddCases, ["differing"] = oddDiffering },
            ["layouts"] = new JsonObject
            {
                ["CSharp"] = "channels-last maps [S,S,C] -> [N,4,14,14,C]",
                ["OrtNchw"] = "NCHW maps [1,C,S,S] -> [N,C,14,14] per level (native layout; transposed in setup, not timed)",
                ["OrtNhwc"] = "channels-last maps -> Transpose -> RoiAlign -> Transpose -> [N,14,14,C] (layout change timed)",
                ["torchvision"] = "NCHW maps [1,C,S,S] -> [N,C,14,14] per level (native layout)",
            },
        };
    }

    /// <summary>Max abs differences on identical inputs: C# and ORT against torchvision, C# against the pre-optimisation copy.</summary>
    private static JsonObject CheckOutputs(P1Data data, int n, int threads)
    {
        var (expected, shape) = Npy.ReadFloat32(Path.Combine(data.Directory, $"torchvision_{n}.npy"));
        var boxes = data.Boxes(n);
        var options = new RoiAlignOptions { MaxDegreeOfParallelism = threads };
        var length = RoiAlign.OutputLength(n, data.Levels.Length, P1Data.Roi, P1Data.Channels);
        if (expected.Length != length)
        {
            throw new InvalidDataException($"torchvision_{n}.npy has shape [{string.Join(",", shape)}], expected {length} values");
        }

        var actual = new float[length];
        RoiAlign.Compute(data.Levels, boxes, actual, options);
        var parallel = new float[length];
        RoiAlign.ComputeParallel(data.Levels, boxes, parallel, options);
        var before = new float[length];
        RoiAlignV0.Compute(data.Levels, boxes, before, options);

        using var ort = new OrtRoiAlign(data, n, threads, nhwc: false);
        ort.Run();
        var ortOut = ort.ChannelsLast();
        using var ortNhwc = new OrtRoiAlign(data, n, threads, nhwc: true);
        ortNhwc.Run();
        var ortNhwcOut = ortNhwc.ChannelsLast();

        return new JsonObject
        {
            ["boxes"] = n,
            ["csharp_vs_torchvision"] = MaxAbs(actual, expected),
            ["csharp_parallel_vs_serial"] = MaxAbs(parallel, actual),
            ["csharp_vs_before"] = MaxAbs(actual, before),
            ["ort_vs_torchvision"] = MaxAbs(ortOut, expected),
            ["ort_nhwc_vs_torchvision"] = MaxAbs(ortNhwcOut, expected),
            ["max_abs_value"] = MaxAbs(expected, new float[expected.Length]),
        };
    }

    /// <summary>
    /// Bitwise comparison of <see cref="RoiAlign.Compute"/> with the pre-optimisation copy, and of
    /// <see cref="RoiAlign.ComputeParallel"/> with <see cref="RoiAlign.Compute"/>, over shapes and options the GPT4RoI
    /// shapes do not reach: channel counts around the vector widths, sampling ratios 0 (adaptive) to 3, output sizes 1 to
    /// 14, empty, huge and partly outside boxes, 1 to 3 threads. Returns the number of cases and how many differ.
    /// </summary>
    private static (int Cases, int Differing) CheckOddShapes()
    {
        var rng = new Random(7);
        int cases = 0, differing = 0;
        int[] sizes = [24, 12, 6, 3];
        foreach (var channels in (int[])[1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 127, 129, 1024, 1030])
        {
            var levels = sizes.Select(s =>
            {
                var map = new float[s * s * channels];
                for (var k = 0; k < map.Length; k++)
                {
                    map[k] = (float)((rng.NextDouble() * 4) - 2);
                }

                return RoiAlignLevel.Square(map, s, channels, 224.0 / s);
            }).ToArray();
            const int N = 6;
            var boxes = new float[N * 4];
            for (var i = 0; i < N; i++)
            {
                float x1 = (float)((rng.NextDouble() * 1.4) - 0.2), y1 = (float)((rng.NextDouble() * 1.4) - 0.2);
                var w = i switch { 0 => 0f, 1 => 3f, _ => (float)rng.NextDouble() };
                boxes[4 * i] = x1;
                boxes[(4 * i) + 1] = y1;
                boxes[(4 * i) + 2] = x1 + w;
                boxes[(4 * i) + 3] = y1 + (w * (float)(0.5 + rng.NextDouble()));
            }

            foreach (var sampling in (int[])[2, 1, 3, 0])
            {
                foreach (var outputSize in (int[])[14, 7, 1])
                {
                    foreach (var threads in (int[])[1, 2, 3])
                    {
                        var options = new RoiAlignOptions { SamplingRatio = sampling, OutputSize = outputSize, MaxDegreeOfParallelism = threads };
                        var length = RoiAlign.OutputLength(N, levels.Length, outputSize, channels);
                        var now = new float[length];
                        var before = new float[length];
                        var parallel = new float[length];
                        RoiAlign.Compute(levels, boxes, now, options);
                        RoiAlignV0.Compute(levels, boxes, before, options);
                        RoiAlign.ComputeParallel(levels, boxes, parallel, options);
                        cases++;
                        if (!now.AsSpan().SequenceEqual(before) || !now.AsSpan().SequenceEqual(parallel))
                        {
                            differing++;
                        }
                    }
                }
            }
        }

        return (cases, differing);
    }

    internal static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"length {a.Length} != {b.Length}");
        }

        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d))
            {
                return double.NaN;
            }

            max = Math.Max(max, d);
        }

        return max;
    }
}

/// <summary>The P1 inputs, read once per process.</summary>
internal sealed class P1Data
{
    public const int Channels = 1024;
    public const int Roi = 14;
    public const int ImageSize = 224;
    private static readonly int[] Sizes = [128, 64, 32, 16];
    private static readonly double[] Strides = [14.0 / 8, 14.0 / 4, 14.0 / 2, 14.0];
    private static readonly Lock Gate = new();
    private static P1Data? _loaded;

    private readonly float[] _boxes;

    private P1Data(string directory, bool quick)
    {
        Directory = directory;
        Levels = new RoiAlignLevel[Sizes.Length];
        Nchw = new float[Sizes.Length][];
        for (var l = 0; l < Sizes.Length; l++)
        {
            var (map, shape) = Npy.ReadFloat32(Path.Combine(directory, "maps", $"map_{l}.npy"));
            if (shape.Length != 3 || shape[0] != Sizes[l] || shape[1] != Sizes[l] || shape[2] != Channels)
            {
                throw new InvalidDataException($"map_{l}.npy: shape [{string.Join(",", shape)}], expected [{Sizes[l]},{Sizes[l]},{Channels}]");
            }

            Levels[l] = RoiAlignLevel.Square(map, Sizes[l], Channels, Strides[l]);
            Nchw[l] = ToNchw(map, Sizes[l], Channels);
        }

        (_boxes, _) = Npy.ReadFloat32(Path.Combine(directory, "boxes.npy"));
        BoxCounts = quick ? [1] : [1, 8, 32];
    }

    public string Directory { get; }

    public RoiAlignLevel[] Levels { get; }

    /// <summary>The same maps in NCHW [1, C, S, S], for ONNX Runtime's native layout.</summary>
    public float[][] Nchw { get; }

    public int[] BoxCounts { get; }

    public static int[] SizesOf => Sizes;

    public static P1Data Load(BenchContext context)
    {
        lock (Gate)
        {
            return _loaded ??= new P1Data(context.BenchDirectory(P1RoiAlign.Id), context.Quick);
        }
    }

    /// <summary>The first <paramref name="n"/> boxes, normalised xyxy.</summary>
    public float[] Boxes(int n) => _boxes.AsSpan(0, 4 * n).ToArray();

    private static float[] ToNchw(float[] hwc, int size, int channels)
    {
        var chw = new float[hwc.Length];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var src = ((y * size) + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    chw[(c * size * size) + (y * size) + x] = hwc[src + c];
                }
            }
        }

        return chw;
    }
}

/// <summary>ONNX Runtime's RoiAlign-16 over the four levels: one session per level, preallocated inputs and outputs.</summary>
internal sealed class OrtRoiAlign : IDisposable
{
    private static readonly string[] InputNames = ["X", "rois", "batch_indices"];
    private static readonly string[] OutputNames = ["Y"];
    private readonly List<IDisposable> _owned = [];
    private readonly InferenceSession[] _sessions;
    private readonly OrtValue[][] _inputs;
    private readonly OrtValue[][] _outputs;
    private readonly float[][] _results;
    private readonly RunOptions _runOptions = new();
    private readonly int _n;
    private readonly bool _nhwc;

    public OrtRoiAlign(P1Data data, int n, int threads, bool nhwc)
    {
        _n = n;
        _nhwc = nhwc;
        var levels = data.Levels.Length;
        _sessions = new InferenceSession[levels];
        _inputs = new OrtValue[levels][];
        _outputs = new OrtValue[levels][];
        _results = new float[levels][];
        var boxes = data.Boxes(n);
        var rois = boxes.Select(b => b * P1Data.ImageSize).ToArray(); // input pixels, float32, as torchvision gets them
        var indices = new long[n];
        var roisValue = Own(OrtValue.CreateTensorValueFromMemory(rois, [n, 4]));
        var indexValue = Own(OrtValue.CreateTensorValueFromMemory(indices, [n]));
        for (var l = 0; l < levels; l++)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            var path = Path.Combine(data.Directory, "ort", $"level{l}_{(nhwc ? "nhwc" : "nchw")}.onnx");
            _sessions[l] = Own(new InferenceSession(path, options));
            var size = P1Data.SizesOf[l];
            var map = nhwc ? data.Levels[l].Map.ToArray() : data.Nchw[l];
            long[] mapShape = nhwc ? [1, size, size, P1Data.Channels] : [1, P1Data.Channels, size, size];
            _inputs[l] = [Own(OrtValue.CreateTensorValueFromMemory(map, mapShape)), roisValue, indexValue];
            _results[l] = new float[n * P1Data.Channels * P1Data.Roi * P1Data.Roi];
            long[] outShape = nhwc ? [n, P1Data.Roi, P1Data.Roi, P1Data.Channels] : [n, P1Data.Channels, P1Data.Roi, P1Data.Roi];
            _outputs[l] = [Own(OrtValue.CreateTensorValueFromMemory(_results[l], outShape))];
        }
    }

    public void Run()
    {
        for (var l = 0; l < _sessions.Length; l++)
        {
            _sessions[l].Run(_runOptions, InputNames, _inputs[l], OutputNames, _outputs[l]);
        }
    }

    /// <summary>The last outputs as [N, L, 14, 14, C] channels-last, to compare with the other implementations.</summary>
    public float[] ChannelsLast()
    {
        const int P = P1Data.Roi;
        const int C = P1Data.Channels;
        var levels = _sessions.Length;
        var output = new float[_n * levels * P * P * C];
        for (var n = 0; n < _n; n++)
        {
            for (var l = 0; l < levels; l++)
            {
                var src = _results[l];
                var dst = ((n * levels) + l) * P * P * C;
                for (var i = 0; i < P * P; i++)
                {
                    for (var c = 0; c < C; c++)
                    {
                        output[dst + (i * C) + c] = _nhwc ? src[(((n * P * P) + i) * C) + c] : src[(((n * C) + c) * P * P) + i];
                    }
                }
            }
        }

        return output;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _runOptions.Dispose();
    }

    private T Own<T>(T value)
        where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }
}

/// <summary>The BenchmarkDotNet class of P1 (parameters: box count and threads; see <see cref="P1RoiAlign"/>).</summary>
public class RoiAlignBenchmarks : IDisposable
{
    private P1Data _data = null!;
    private float[] _boxes = [];
    private float[] _output = [];
    private RoiAlignOptions _options = new();
    private OrtRoiAlign? _ortNchw;
    private OrtRoiAlign? _ortNhwc;

    public static IEnumerable<int> BoxCountValues => P1Data.Load(BenchContext.Current).BoxCounts;

    public static IEnumerable<int> ThreadValues => BenchContext.Current.Threads;

    [ParamsSource(nameof(BoxCountValues))]
    public int Boxes { get; set; }

    [ParamsSource(nameof(ThreadValues))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = P1Data.Load(BenchContext.Current);
        _boxes = _data.Boxes(Boxes);
        _output = new float[RoiAlign.OutputLength(Boxes, _data.Levels.Length, P1Data.Roi, P1Data.Channels)];
        _options = new RoiAlignOptions { MaxDegreeOfParallelism = Threads };
        _ortNchw = new OrtRoiAlign(_data, Boxes, Threads, nhwc: false);
        _ortNhwc = new OrtRoiAlign(_data, Boxes, Threads, nhwc: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortNchw?.Dispose();
        _ortNhwc?.Dispose();
        _ortNchw = _ortNhwc = null;
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void CSharp()
    {
        if (Threads == 1)
        {
            RoiAlign.Compute(_data.Levels, _boxes, _output, _options);
        }
        else
        {
            RoiAlign.ComputeParallel(_data.Levels, _boxes, _output, _options);
        }
    }

    [Benchmark]
    public void CSharpBefore()
    {
        if (Threads == 1)
        {
            RoiAlignV0.Compute(_data.Levels, _boxes, _output, _options);
        }
        else
        {
            RoiAlignV0.ComputeParallel(_data.Levels, _boxes, _output, _options);
        }
    }

    [Benchmark]
    public void OrtNchw() => _ortNchw!.Run();

    [Benchmark]
    public void OrtNhwc() => _ortNhwc!.Run();
}
