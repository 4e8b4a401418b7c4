using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Inference;

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
