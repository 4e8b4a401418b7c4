using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// One feature level for <see cref="RoiAlign"/>: a channels-last map <c>[Height, Width, Channels]</c> (batch 1)
/// and its stride in input pixels (the spatial scale is <c>1 / stride</c>).
/// </summary>
public sealed class RoiAlignLevel
{
    /// <summary>Creates a level, checking that <paramref name="map"/> holds exactly <c>height * width * channels</c> values.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the stride is not a positive finite number, or the map length does not match.</exception>
    public RoiAlignLevel(ReadOnlyMemory<float> map, int height, int width, int channels, double stride)
    {
        RoiAlign.ValidateLevel(map.Length, height, width, channels, stride, "level");
        Map = map;
        Height = height;
        Width = width;
        Channels = channels;
        Stride = stride;
    }

    /// <summary>A square level <c>[size, size, channels]</c>.</summary>
    public static RoiAlignLevel Square(ReadOnlyMemory<float> map, int size, int channels, double stride) =>
        new(map, size, size, channels, stride);

    /// <summary>Channels-last values, <c>[Height, Width, Channels]</c> in row-major order.</summary>
    public ReadOnlyMemory<float> Map { get; }

    /// <summary>Map height.</summary>
    public int Height { get; }

    /// <summary>Map width.</summary>
    public int Width { get; }

    /// <summary>Channels per position.</summary>
    public int Channels { get; }

    /// <summary>Stride in input pixels (e.g. 224 / 128 = 1.75).</summary>
    public double Stride { get; }

    /// <summary>Spatial scale <c>(float)(1 / stride)</c>, as torchvision receives it.</summary>
    public float SpatialScale => (float)(1.0 / Stride);
}

/// <summary>Settings for <see cref="RoiAlign"/>; the defaults are those of the GPT4RoI manifest.</summary>
public sealed record RoiAlignOptions
{
    /// <summary>Side of the square input image in pixels: normalised boxes are multiplied by it (manifest <c>image_size</c>).</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Pooled output side P (manifest <c>roi_size</c>).</summary>
    public int OutputSize { get; init; } = 14;

    /// <summary>Samples per bin along each axis; 0 or negative means adaptive <c>ceil(roi / P)</c> (manifest <c>sampling_ratio</c>).</summary>
    public int SamplingRatio { get; init; } = 2;

    /// <summary>Upper bound on worker threads for <see cref="RoiAlign.ComputeParallel"/>; -1 means no limit.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// Multi-level RoIAlign of GPT4RoI: torchvision <c>roi_align(aligned=True)</c> / mmcv <c>RoIAlign(aligned=True, pool 'avg')</c> /
/// ONNX <c>RoiAlign-16</c> (half_pixel, avg) on channels-last maps, batch 1.
/// </summary>
/// <remarks>
/// <para>Boxes are normalised <c>[x1, y1, x2, y2]</c>; input-pixel coordinates are <c>box * ImageSize</c> (float32), and
/// level coordinates <c>pixel * (float)(1 / stride) - 0.5</c>. The box size is not clamped (aligned mode).</para>
/// <para>The arithmetic is float32 and follows the operation order of torchvision's CPU kernel (positions and weights
/// per sample, <c>acc += ((w1*v1 + w2*v2) + w3*v3) + w4*v4</c> without fused multiply-add, then <c>acc / count</c>), so
/// results match it to rounding. Samples outside the map contribute nothing (torchvision adds <c>0 * map[0]</c>, which
/// differs only when the map holds infinities or NaN).</para>
/// <para>Output layout: <c>[N, L, P, P, C]</c> channels-last. Work is vectorised across channels.</para>
/// </remarks>
public static class RoiAlign
{
    // Per-axis sample tables larger than this are rejected (only reachable with adaptive sampling and huge boxes).
    private const int MaxAxisSamples = 1 << 20;
    private const int StackAxisSamples = 64;
    private const string OutputParamName = "output";
    private const string BoxesParamName = "boxesNorm";

    /// <summary>Number of output values for <paramref name="boxCount"/> boxes: <c>N * L * P * P * C</c>.</summary>
    public static int OutputLength(int boxCount, int levelCount, int outputSize, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(boxCount);
        ArgumentOutOfRangeException.ThrowIfNegative(levelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        var length = (long)boxCount * levelCount * outputSize * outputSize * channels;
        if (length > Array.MaxLength)
        {
            throw new ArgumentException(
                $"RoIAlign output of {boxCount} boxes x {levelCount} levels x {outputSize}x{outputSize} x {channels} channels is too large ({length} values).");
        }

        return (int)length;
    }

    /// <summary>
    /// RoIAlign of every box on every level, single-threaded, into <paramref name="output"/> <c>[N, L, P, P, C]</c>.
    /// </summary>
    /// <param name="levels">The L feature levels, all with the same channel count.</param>
    /// <param name="boxesNorm">N boxes, normalised xyxy, <c>N * 4</c> values.</param>
    /// <param name="output">Exactly <c>N * L * P * P * C</c> values; fully overwritten.</param>
    /// <param name="options">Settings; null means the defaults.</param>
    /// <exception cref="ArgumentException">Shapes or lengths do not match, or a box coordinate is not finite.</exception>
    public static void Compute(IReadOnlyList<RoiAlignLevel> levels, ReadOnlySpan<float> boxesNorm, Span<float> output, RoiAlignOptions? options = null)
    {
        options ??= new RoiAlignOptions();
        var (boxCount, channels) = ValidateCall(levels, boxesNorm, output.Length, options);
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

    /// <summary>
    /// Same as <see cref="Compute"/>, with the N * L (box, level) pairs spread over threads. Each pair is computed exactly
    /// as in <see cref="Compute"/>, so the result is bitwise identical and does not depend on scheduling.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or lengths do not match, or a box coordinate is not finite.</exception>
    public static void ComputeParallel(IReadOnlyList<RoiAlignLevel> levels, ReadOnlyMemory<float> boxesNorm, Memory<float> output, RoiAlignOptions? options = null)
    {
        options ??= new RoiAlignOptions();
        var (boxCount, channels) = ValidateCall(levels, boxesNorm.Span, output.Length, options);
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

    /// <summary>
    /// RoIAlign of every box on one level given as a span (e.g. an ONNX Runtime output), written into level
    /// <paramref name="levelIndex"/> of an <c>[N, levelCount, P, P, C]</c> output; the other levels are left untouched.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or lengths do not match, or a box coordinate is not finite.</exception>
    public static void ComputeLevel(
        ReadOnlySpan<float> map,
        int height,
        int width,
        int channels,
        double stride,
        ReadOnlySpan<float> boxesNorm,
        int levelIndex,
        int levelCount,
        Span<float> output,
        RoiAlignOptions? options = null)
    {
        options ??= new RoiAlignOptions();
        ValidateLevel(map.Length, height, width, channels, stride, nameof(map));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(levelCount);
        if (levelIndex < 0 || levelIndex >= levelCount)
        {
            throw new ArgumentOutOfRangeException(nameof(levelIndex), levelIndex, $"Level index must be in [0, {levelCount}).");
        }

        ValidateOptions(options);
        var boxCount = ValidateBoxes(boxesNorm);
        CheckOutputLength(output.Length, boxCount, levelCount, options.OutputSize, channels, nameof(output));
        var chunk = options.OutputSize * options.OutputSize * channels;
        var scale = (float)(1.0 / stride);
        for (var n = 0; n < boxCount; n++)
        {
            AlignOne(map, height, width, channels, scale, boxesNorm.Slice(n * 4, 4), options,
                output.Slice(((n * levelCount) + levelIndex) * chunk, chunk));
        }
    }

    internal static void ValidateLevel(int mapLength, int height, int width, int channels, double stride, string paramName)
    {
        if (height <= 0 || width <= 0 || channels <= 0)
        {
            throw new ArgumentException(
                $"RoIAlign level sizes must be positive (height {height}, width {width}, channels {channels}).", paramName);
        }

        if (!double.IsFinite(stride) || stride <= 0)
        {
            throw new ArgumentException(
                $"RoIAlign level stride must be a positive finite number (got {stride.ToString(CultureInfo.InvariantCulture)}).", paramName);
        }

        var expected = (long)height * width * channels;
        if (mapLength != expected)
        {
            throw new ArgumentException(
                $"RoIAlign level map has {mapLength} values but [{height}, {width}, {channels}] (channels-last) needs {expected}.", paramName);
        }
    }

    private static (int BoxCount, int Channels) ValidateCall(IReadOnlyList<RoiAlignLevel> levels, ReadOnlySpan<float> boxesNorm, int outputLength, RoiAlignOptions options)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0)
        {
            throw new ArgumentException("RoIAlign needs at least one feature level.", nameof(levels));
        }

        var channels = 0;
        for (var l = 0; l < levels.Count; l++)
        {
            var level = levels[l] ?? throw new ArgumentException($"RoIAlign level {l} is null.", nameof(levels));
            if (l == 0)
            {
                channels = level.Channels;
            }
            else if (level.Channels != channels)
            {
                throw new ArgumentException(
                    $"RoIAlign levels must have the same channel count: level 0 has {channels}, level {l} has {level.Channels}.", nameof(levels));
            }
        }

        ValidateOptions(options);
        var boxCount = ValidateBoxes(boxesNorm);
        CheckOutputLength(outputLength, boxCount, levels.Count, options.OutputSize, channels, OutputParamName);
        return (boxCount, channels);
    }

    private static void ValidateOptions(RoiAlignOptions options)
    {
        if (options.ImageSize <= 0)
        {
            throw new ArgumentException($"RoIAlign image size must be positive (got {options.ImageSize}).", nameof(options));
        }

        if (options.OutputSize <= 0)
        {
            throw new ArgumentException($"RoIAlign output size must be positive (got {options.OutputSize}).", nameof(options));
        }

        if (options.MaxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentException(
                $"RoIAlign MaxDegreeOfParallelism must be -1 or positive (got {options.MaxDegreeOfParallelism}).", nameof(options));
        }
    }

    private static int ValidateBoxes(ReadOnlySpan<float> boxesNorm)
    {
        if (boxesNorm.Length % 4 != 0)
        {
            throw new ArgumentException(
                $"RoIAlign boxes must be N x 4 values (normalised x1, y1, x2, y2); got {boxesNorm.Length} values.", nameof(boxesNorm));
        }

        for (var i = 0; i < boxesNorm.Length; i++)
        {
            if (!float.IsFinite(boxesNorm[i]))
            {
                throw new ArgumentException(
                    $"RoIAlign box {i / 4} has a non-finite coordinate ({boxesNorm[i].ToString(CultureInfo.InvariantCulture)}).", nameof(boxesNorm));
            }
        }

        return boxesNorm.Length / 4;
    }

    private static void CheckOutputLength(int outputLength, int boxCount, int levelCount, int outputSize, int channels, string paramName)
    {
        var expected = OutputLength(boxCount, levelCount, outputSize, channels);
        if (outputLength != expected)
        {
            throw new ArgumentException(
                $"RoIAlign output has {outputLength} values but [N={boxCount}, L={levelCount}, {outputSize}, {outputSize}, C={channels}] needs {expected}.",
                paramName);
        }
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
