using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Baselines;

/// <summary>
/// The C# RoIAlign as it was before the P1 optimisation (src/GPT4RoI.Core/Inference/RoiAlign.cs at commit 5bf60bf),
/// kept so that every P1 run measures the speed-up and checks that the outputs are unchanged. The per-box kernel is
/// copied unchanged; argument validation is left out (the benchmark passes valid inputs).
/// </summary>
internal static class RoiAlignV0
{
    private const int StackAxisSamples = 64;
    private const int MaxAxisSamples = 1 << 20;
    private const string BoxesParamName = "boxesNorm";

    public static void Compute(IReadOnlyList<RoiAlignLevel> levels, ReadOnlySpan<float> boxesNorm, Span<float> output, RoiAlignOptions options)
    {
        var channels = levels[0].Channels;
        var boxCount = boxesNorm.Length / 4;
        var chunk = options.OutputSize * options.OutputSize * channels;
        for (var n = 0; n < boxCount; n++)
        {
            for (var l = 0; l < levels.Count; l++)
            {
                var level = levels[l];
                AlignOne(level.Map.Span, level.Height, level.Width, channels, level.SpatialScale, boxesNorm.Slice(n * 4, 4),
                    options, output.Slice(((n * levels.Count) + l) * chunk, chunk));
            }
        }
    }

    public static void ComputeParallel(IReadOnlyList<RoiAlignLevel> levels, ReadOnlyMemory<float> boxesNorm, Memory<float> output, RoiAlignOptions options)
    {
        var channels = levels[0].Channels;
        var boxCount = boxesNorm.Length / 4;
        var pairs = boxCount * levels.Count;
        if (pairs < 2 || options.MaxDegreeOfParallelism == 1 || Environment.ProcessorCount == 1)
        {
            Compute(levels, boxesNorm.Span, output.Span, options);
            return;
        }

        var chunk = options.OutputSize * options.OutputSize * channels;
        var parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, pairs, parallelOptions, i =>
        {
            var n = i / levels.Count;
            var level = levels[i % levels.Count];
            AlignOne(level.Map.Span, level.Height, level.Width, channels, level.SpatialScale, boxesNorm.Span.Slice(n * 4, 4),
                options, output.Span.Slice(i * chunk, chunk));
        });
    }

    /// <summary>Where one sample lands along one axis: the two neighbouring rows (or columns) and their weights.</summary>
    private struct AxisSample
    {
        public int LowOffset;   // low index * elements per step along this axis
        public int HighOffset;
        public float Low;       // weight of the low neighbour (hy or hx)
        public float High;      // weight of the high neighbour (ly or lx)
        public bool Valid;
    }

    /// <summary>One box on one level: <paramref name="dst"/> is <c>[P, P, C]</c>.</summary>
    private static void AlignOne(ReadOnlySpan<float> map, int height, int width, int channels, float scale, ReadOnlySpan<float> box,
        RoiAlignOptions options, Span<float> dst)
    {
        var pooled = options.OutputSize;
        float imageSize = options.ImageSize;

        // torchvision: rois = boxes_norm * image_size (float32); roi_start = roi * spatial_scale - 0.5 (aligned).
        var roiStartW = (box[0] * imageSize * scale) - 0.5f;
        var roiStartH = (box[1] * imageSize * scale) - 0.5f;
        var roiEndW = (box[2] * imageSize * scale) - 0.5f;
        var roiEndH = (box[3] * imageSize * scale) - 0.5f;
        var roiWidth = roiEndW - roiStartW;
        var roiHeight = roiEndH - roiStartH;
        var binH = roiHeight / pooled;
        var binW = roiWidth / pooled;

        var gridH = GridSize(options.SamplingRatio, roiHeight, pooled);
        var gridW = GridSize(options.SamplingRatio, roiWidth, pooled);
        if (gridH <= 0 || gridW <= 0)
        {
            dst.Clear(); // no samples: torchvision outputs 0 / max(count, 1) = 0
            return;
        }

        var countY = pooled * gridH;
        var countX = pooled * gridW;
        AxisSample[]? rentedY = null;
        AxisSample[]? rentedX = null;
        Span<AxisSample> ys = countY <= StackAxisSamples
            ? stackalloc AxisSample[StackAxisSamples]
            : (rentedY = ArrayPool<AxisSample>.Shared.Rent(countY));
        Span<AxisSample> xs = countX <= StackAxisSamples
            ? stackalloc AxisSample[StackAxisSamples]
            : (rentedX = ArrayPool<AxisSample>.Shared.Rent(countX));
        try
        {
            FillAxis(ys, roiStartH, binH, gridH, pooled, height, width * channels);
            FillAxis(xs, roiStartW, binW, gridW, pooled, width, channels);
            float count = Math.Max(gridH * gridW, 1);
            var countVector = new Vector<float>(count);

            for (var ph = 0; ph < pooled; ph++)
            {
                for (var pw = 0; pw < pooled; pw++)
                {
                    var acc = dst.Slice(((ph * pooled) + pw) * channels, channels);
                    acc.Clear();
                    for (var iy = 0; iy < gridH; iy++)
                    {
                        ref readonly var y = ref ys[(ph * gridH) + iy];
                        if (!y.Valid)
                        {
                            continue;
                        }

                        for (var ix = 0; ix < gridW; ix++)
                        {
                            ref readonly var x = ref xs[(pw * gridW) + ix];
                            if (!x.Valid)
                            {
                                continue;
                            }

                            // w1 = hy*hx, w2 = hy*lx, w3 = ly*hx, w4 = ly*lx (torchvision pre_calc order)
                            Accumulate(
                                acc,
                                map.Slice(y.LowOffset + x.LowOffset, channels),
                                map.Slice(y.LowOffset + x.HighOffset, channels),
                                map.Slice(y.HighOffset + x.LowOffset, channels),
                                map.Slice(y.HighOffset + x.HighOffset, channels),
                                y.Low * x.Low,
                                y.Low * x.High,
                                y.High * x.Low,
                                y.High * x.High);
                        }
                    }

                    Divide(acc, count, countVector);
                }
            }
        }
        finally
        {
            if (rentedY is not null)
            {
                ArrayPool<AxisSample>.Shared.Return(rentedY);
            }

            if (rentedX is not null)
            {
                ArrayPool<AxisSample>.Shared.Return(rentedX);
            }
        }
    }

    private static int GridSize(int samplingRatio, float roiSize, int pooled, string paramName = BoxesParamName)
    {
        if (samplingRatio > 0)
        {
            return samplingRatio;
        }

        // torchvision: (int)ceil(roi_size / pooled) in float
        var grid = MathF.Ceiling(roiSize / pooled);
        if (grid <= 0)
        {
            return 0;
        }

        if (grid * pooled > MaxAxisSamples)
        {
            throw new ArgumentException(
                $"RoIAlign box spans {roiSize.ToString(CultureInfo.InvariantCulture)} map cells: too large for adaptive sampling (sampling ratio <= 0).",
                paramName);
        }

        return (int)grid;
    }

    /// <summary>
    /// Sample positions along one axis for every (bin, sample) pair, as torchvision's pre_calc_for_bilinear_interpolate
    /// computes them (the computation is separable: y depends on (ph, iy) only and x on (pw, ix) only).
    /// </summary>
    private static void FillAxis(Span<AxisSample> samples, float roiStart, float binSize, int grid, int pooled, int size, int step)
    {
        float gridF = grid;
        var i = 0;
        for (var p = 0; p < pooled; p++)
        {
            for (var s = 0; s < grid; s++, i++)
            {
                // yy = roi_start_h + ph * bin_size_h + (iy + .5f) * bin_size_h / roi_bin_grid_h
                var v = roiStart + (p * binSize) + ((s + 0.5f) * binSize / gridF);
                if (v < -1.0f || v > size)
                {
                    samples[i] = default; // Valid = false: the sample contributes 0
                    continue;
                }

                if (v <= 0)
                {
                    v = 0;
                }

                var low = (int)v;
                int high;
                if (low >= size - 1)
                {
                    high = low = size - 1;
                    v = low;
                }
                else
                {
                    high = low + 1;
                }

                var l = v - low;
                samples[i] = new AxisSample
                {
                    LowOffset = low * step,
                    HighOffset = high * step,
                    Low = 1f - l,
                    High = l,
                    Valid = true,
                };
            }
        }
    }

    /// <summary><c>acc[c] += ((w1*v1[c] + w2*v2[c]) + w3*v3[c]) + w4*v4[c]</c>, no fused multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Span<float> acc, ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, ReadOnlySpan<float> v3, ReadOnlySpan<float> v4,
        float w1, float w2, float w3, float w4)
    {
        // All five spans have the same length (the channel count), checked by Slice in the caller.
        var n = acc.Length;
        var c = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var vw1 = new Vector<float>(w1);
            var vw2 = new Vector<float>(w2);
            var vw3 = new Vector<float>(w3);
            var vw4 = new Vector<float>(w4);
            ref var a = ref MemoryMarshal.GetReference(acc);
            ref var r1 = ref MemoryMarshal.GetReference(v1);
            ref var r2 = ref MemoryMarshal.GetReference(v2);
            ref var r3 = ref MemoryMarshal.GetReference(v3);
            ref var r4 = ref MemoryMarshal.GetReference(v4);
            for (; c <= n - Vector<float>.Count; c += Vector<float>.Count)
            {
                var i = (nuint)c;
                var sum = (vw1 * Vector.LoadUnsafe(ref r1, i)) + (vw2 * Vector.LoadUnsafe(ref r2, i))
                    + (vw3 * Vector.LoadUnsafe(ref r3, i)) + (vw4 * Vector.LoadUnsafe(ref r4, i));
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref a, i) + sum, ref a, i);
            }
        }

        for (; c < n; c++)
        {
            acc[c] += (w1 * v1[c]) + (w2 * v2[c]) + (w3 * v3[c]) + (w4 * v4[c]);
        }
    }

    private static void Divide(Span<float> acc, float count, Vector<float> countVector)
    {
        var n = acc.Length;
        var c = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            ref var a = ref MemoryMarshal.GetReference(acc);
            for (; c <= n - Vector<float>.Count; c += Vector<float>.Count)
            {
                var i = (nuint)c;
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref a, i) / countVector, ref a, i);
            }
        }

        for (; c < n; c++)
        {
            acc[c] /= count;
        }
    }
}
