using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GPT4RoI.Core.Inference;

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
/// <para>Output layout: <c>[N, L, P, P, C]</c> channels-last. Work is vectorised across channels: per output bin, the
/// bilinear offsets and weights of its samples are computed once and applied to four vectors of channels at a time,
/// accumulated in registers.</para>
/// </remarks>
public static class RoiAlign
{
    // Per-axis sample tables larger than this are rejected (only reachable with adaptive sampling and huge boxes).
    private const int MaxAxisSamples = 1 << 20;
    private const int StackAxisSamples = 64;
    // Samples of one bin handled per pass over its channels (sampling ratio 2 gives 4).
    private const int MaxBinTaps = 64;
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
    /// Same as <see cref="Compute"/>, with the work spread over at most <see cref="RoiAlignOptions.MaxDegreeOfParallelism"/>
    /// threads: the N * L (box, level) pairs, each cut into bands of output rows when there are fewer pairs than threads
    /// can share evenly. Every output value is computed exactly as in <see cref="Compute"/>, so the result is bitwise
    /// identical and does not depend on scheduling.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or lengths do not match, or a box coordinate is not finite.</exception>
    public static void ComputeParallel(IReadOnlyList<RoiAlignLevel> levels, ReadOnlyMemory<float> boxesNorm, Memory<float> output, RoiAlignOptions? options = null)
    {
        options ??= new RoiAlignOptions();
        var (boxCount, channels) = ValidateCall(levels, boxesNorm.Span, output.Length, options);
        var pairs = boxCount * levels.Count;
        var threads = options.MaxDegreeOfParallelism == -1
            ? Environment.ProcessorCount
            : Math.Min(options.MaxDegreeOfParallelism, Environment.ProcessorCount);
        var pooled = options.OutputSize;
        // Enough work items for an even share (about 4 per thread), at most one per output row.
        var bands = pairs == 0 ? 1 : Math.Clamp(((4 * threads) + pairs - 1) / pairs, 1, pooled);
        var items = pairs * bands;
        if (items < 2 || threads <= 1)
        {
            Compute(levels, boxesNorm.Span, output.Span, options);
            return;
        }

        var chunk = pooled * pooled * channels;
        var rowsPerBand = (pooled + bands - 1) / bands;
        var parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, items, parallelOptions, i =>
        {
            var pair = i / bands;
            var rowStart = (i % bands) * rowsPerBand;
            var rowEnd = Math.Min(rowStart + rowsPerBand, pooled);
            if (rowStart >= rowEnd)
            {
                return;
            }

            var n = pair / levels.Count;
            var level = levels[pair % levels.Count];
            AlignRows(level.Map.Span, level.Height, level.Width, channels, level.SpatialScale, boxesNorm.Span.Slice(n * 4, 4),
                options, output.Span.Slice(pair * chunk, chunk), rowStart, rowEnd);
        });
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
        RoiAlignOptions options, Span<float> dst) =>
        AlignRows(map, height, width, channels, scale, box, options, dst, 0, options.OutputSize);

    /// <summary>
    /// Output rows <c>[rowStart, rowEnd)</c> of one box on one level; <paramref name="dst"/> is the whole <c>[P, P, C]</c> block.
    /// </summary>
    /// <remarks>
    /// Per output bin, the valid samples (up to <see cref="MaxBinTaps"/> at a time) are gathered with their four map offsets
    /// and bilinear weights; <see cref="AccumulateBin"/> then sums them for a block of channels at a time in registers and
    /// divides once, so each channel's arithmetic is the same sequence as in torchvision's kernel.
    /// </remarks>
    private static void AlignRows(ReadOnlySpan<float> map, int height, int width, int channels, float scale, ReadOnlySpan<float> box,
        RoiAlignOptions options, Span<float> dst, int rowStart, int rowEnd)
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
        var rows = dst.Slice(rowStart * pooled * channels, (rowEnd - rowStart) * pooled * channels);

        var gridH = GridSize(options.SamplingRatio, roiHeight, pooled);
        var gridW = GridSize(options.SamplingRatio, roiWidth, pooled);
        if (gridH <= 0 || gridW <= 0)
        {
            rows.Clear(); // no samples: torchvision outputs 0 / max(count, 1) = 0
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
        Span<BinTap> taps = stackalloc BinTap[MaxBinTaps];
        try
        {
            FillAxis(ys, roiStartH, binH, gridH, pooled, height, width * channels);
            FillAxis(xs, roiStartW, binW, gridW, pooled, width, channels);
            float count = Math.Max(gridH * gridW, 1);
            ref var mapRef = ref MemoryMarshal.GetReference(map);
            for (var ph = rowStart; ph < rowEnd; ph++)
            {
                for (var pw = 0; pw < pooled; pw++)
                {
                    var bin = dst.Slice(((ph * pooled) + pw) * channels, channels);
                    var tapCount = 0;
                    var fromZero = true;
                    for (var iy = 0; iy < gridH; iy++)
                    {
                        var y = ys[(ph * gridH) + iy];
                        if (!y.Valid)
                        {
                            continue;
                        }

                        for (var ix = 0; ix < gridW; ix++)
                        {
                            var x = xs[(pw * gridW) + ix];
                            if (!x.Valid)
                            {
                                continue;
                            }

                            taps[tapCount++] = Tap(y, x);
                            if (tapCount == MaxBinTaps)
                            {
                                AccumulateBin(ref mapRef, taps, bin, fromZero, divisor: 0);
                                fromZero = false;
                                tapCount = 0;
                            }
                        }
                    }

                    AccumulateBin(ref mapRef, taps[..tapCount], bin, fromZero, count);
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

    /// <summary>w1 = hy*hx, w2 = hy*lx, w3 = ly*hx, w4 = ly*lx (torchvision's pre_calc order) and the four map offsets.</summary>
    private static BinTap Tap(in AxisSample y, in AxisSample x) => new()
    {
        Offset1 = y.LowOffset + x.LowOffset,
        Offset2 = y.LowOffset + x.HighOffset,
        Offset3 = y.HighOffset + x.LowOffset,
        Offset4 = y.HighOffset + x.HighOffset,
        W1 = y.Low * x.Low,
        W2 = y.Low * x.High,
        W3 = y.High * x.Low,
        W4 = y.High * x.High,
    };

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

    /// <summary>One valid sample of a bin: the map offsets of its four neighbours and their bilinear weights.</summary>
    private struct BinTap
    {
        public int Offset1;
        public int Offset2;
        public int Offset3;
        public int Offset4;
        public float W1;
        public float W2;
        public float W3;
        public float W4;
    }

    /// <summary>
    /// For every channel c of <paramref name="bin"/>: <c>acc = fromZero ? 0 : bin[c]</c>, then for each tap in order
    /// <c>acc += ((w1*v1[c] + w2*v2[c]) + w3*v3[c]) + w4*v4[c]</c> (no fused multiply-add), then
    /// <c>bin[c] = divisor &gt; 0 ? acc / divisor : acc</c>. Four vectors of channels are accumulated in registers at a time,
    /// so the bin is read and written once instead of once per sample.
    /// </summary>
    /// <remarks>
    /// Every offset plus <c>bin.Length</c> lies within the map: the offsets come from <see cref="FillAxis"/>, whose indices
    /// are clamped to the map, and the map length was validated as height * width * channels.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateBin(ref float map, ReadOnlySpan<BinTap> taps, Span<float> bin, bool fromZero, float divisor)
    {
        var n = bin.Length;
        ref var acc = ref MemoryMarshal.GetReference(bin);
        // A power-of-two divisor (4 with sampling ratio 2) divides exactly as a multiplication by its reciprocal.
        var exactReciprocal = divisor > 0 && BitOperations.IsPow2((int)divisor) && (int)divisor == divisor;
        var c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var divisorV = Vector512.Create(divisor);
            var reciprocalV = Vector512.Create(1f / divisor);
            for (; c <= n - 64; c += 64)
            {
                var i = (nuint)c;
                Vector512<float> a0, a1, a2, a3;
                if (fromZero)
                {
                    a0 = a1 = a2 = a3 = Vector512<float>.Zero;
                }
                else
                {
                    a0 = Vector512.LoadUnsafe(ref acc, i);
                    a1 = Vector512.LoadUnsafe(ref acc, i + 16);
                    a2 = Vector512.LoadUnsafe(ref acc, i + 32);
                    a3 = Vector512.LoadUnsafe(ref acc, i + 48);
                }

                for (var t = 0; t < taps.Length; t++)
                {
                    ref readonly var tap = ref taps[t];
                    var w1 = Vector512.Create(tap.W1);
                    var w2 = Vector512.Create(tap.W2);
                    var w3 = Vector512.Create(tap.W3);
                    var w4 = Vector512.Create(tap.W4);
                    ref var p1 = ref Unsafe.Add(ref map, tap.Offset1 + c);
                    ref var p2 = ref Unsafe.Add(ref map, tap.Offset2 + c);
                    ref var p3 = ref Unsafe.Add(ref map, tap.Offset3 + c);
                    ref var p4 = ref Unsafe.Add(ref map, tap.Offset4 + c);
                    a0 += (w1 * Vector512.LoadUnsafe(ref p1)) + (w2 * Vector512.LoadUnsafe(ref p2))
                        + (w3 * Vector512.LoadUnsafe(ref p3)) + (w4 * Vector512.LoadUnsafe(ref p4));
                    a1 += (w1 * Vector512.LoadUnsafe(ref p1, 16)) + (w2 * Vector512.LoadUnsafe(ref p2, 16))
                        + (w3 * Vector512.LoadUnsafe(ref p3, 16)) + (w4 * Vector512.LoadUnsafe(ref p4, 16));
                    a2 += (w1 * Vector512.LoadUnsafe(ref p1, 32)) + (w2 * Vector512.LoadUnsafe(ref p2, 32))
                        + (w3 * Vector512.LoadUnsafe(ref p3, 32)) + (w4 * Vector512.LoadUnsafe(ref p4, 32));
                    a3 += (w1 * Vector512.LoadUnsafe(ref p1, 48)) + (w2 * Vector512.LoadUnsafe(ref p2, 48))
                        + (w3 * Vector512.LoadUnsafe(ref p3, 48)) + (w4 * Vector512.LoadUnsafe(ref p4, 48));
                }

                if (divisor > 0)
                {
                    if (exactReciprocal)
                    {
                        a0 *= reciprocalV;
                        a1 *= reciprocalV;
                        a2 *= reciprocalV;
                        a3 *= reciprocalV;
                    }
                    else
                    {
                        a0 /= divisorV;
                        a1 /= divisorV;
                        a2 /= divisorV;
                        a3 /= divisorV;
                    }
                }

                a0.StoreUnsafe(ref acc, i);
                a1.StoreUnsafe(ref acc, i + 16);
                a2.StoreUnsafe(ref acc, i + 32);
                a3.StoreUnsafe(ref acc, i + 48);
            }
        }

        if (Vector.IsHardwareAccelerated)
        {
            var lanes = Vector<float>.Count;
            var divisorVector = new Vector<float>(divisor);
            var reciprocalVector = new Vector<float>(1f / divisor);
            for (; c <= n - (4 * lanes); c += 4 * lanes)
            {
                var i = (nuint)c;
                Vector<float> a0, a1, a2, a3;
                if (fromZero)
                {
                    a0 = a1 = a2 = a3 = Vector<float>.Zero;
                }
                else
                {
                    a0 = Vector.LoadUnsafe(ref acc, i);
                    a1 = Vector.LoadUnsafe(ref acc, i + (nuint)lanes);
                    a2 = Vector.LoadUnsafe(ref acc, i + (nuint)(2 * lanes));
                    a3 = Vector.LoadUnsafe(ref acc, i + (nuint)(3 * lanes));
                }

                for (var t = 0; t < taps.Length; t++)
                {
                    ref readonly var tap = ref taps[t];
                    var w1 = new Vector<float>(tap.W1);
                    var w2 = new Vector<float>(tap.W2);
                    var w3 = new Vector<float>(tap.W3);
                    var w4 = new Vector<float>(tap.W4);
                    ref var p1 = ref Unsafe.Add(ref map, tap.Offset1 + c);
                    ref var p2 = ref Unsafe.Add(ref map, tap.Offset2 + c);
                    ref var p3 = ref Unsafe.Add(ref map, tap.Offset3 + c);
                    ref var p4 = ref Unsafe.Add(ref map, tap.Offset4 + c);
                    a0 += (w1 * Vector.LoadUnsafe(ref p1)) + (w2 * Vector.LoadUnsafe(ref p2))
                        + (w3 * Vector.LoadUnsafe(ref p3)) + (w4 * Vector.LoadUnsafe(ref p4));
                    var o = (nuint)lanes;
                    a1 += (w1 * Vector.LoadUnsafe(ref p1, o)) + (w2 * Vector.LoadUnsafe(ref p2, o))
                        + (w3 * Vector.LoadUnsafe(ref p3, o)) + (w4 * Vector.LoadUnsafe(ref p4, o));
                    o = (nuint)(2 * lanes);
                    a2 += (w1 * Vector.LoadUnsafe(ref p1, o)) + (w2 * Vector.LoadUnsafe(ref p2, o))
                        + (w3 * Vector.LoadUnsafe(ref p3, o)) + (w4 * Vector.LoadUnsafe(ref p4, o));
                    o = (nuint)(3 * lanes);
                    a3 += (w1 * Vector.LoadUnsafe(ref p1, o)) + (w2 * Vector.LoadUnsafe(ref p2, o))
                        + (w3 * Vector.LoadUnsafe(ref p3, o)) + (w4 * Vector.LoadUnsafe(ref p4, o));
                }

                if (divisor > 0)
                {
                    if (exactReciprocal)
                    {
                        a0 *= reciprocalVector;
                        a1 *= reciprocalVector;
                        a2 *= reciprocalVector;
                        a3 *= reciprocalVector;
                    }
                    else
                    {
                        a0 /= divisorVector;
                        a1 /= divisorVector;
                        a2 /= divisorVector;
                        a3 /= divisorVector;
                    }
                }

                Vector.StoreUnsafe(a0, ref acc, i);
                Vector.StoreUnsafe(a1, ref acc, i + (nuint)lanes);
                Vector.StoreUnsafe(a2, ref acc, i + (nuint)(2 * lanes));
                Vector.StoreUnsafe(a3, ref acc, i + (nuint)(3 * lanes));
            }

            for (; c <= n - lanes; c += lanes)
            {
                var i = (nuint)c;
                var a = fromZero ? Vector<float>.Zero : Vector.LoadUnsafe(ref acc, i);
                for (var t = 0; t < taps.Length; t++)
                {
                    ref readonly var tap = ref taps[t];
                    a += (new Vector<float>(tap.W1) * Vector.LoadUnsafe(ref Unsafe.Add(ref map, tap.Offset1 + c)))
                        + (new Vector<float>(tap.W2) * Vector.LoadUnsafe(ref Unsafe.Add(ref map, tap.Offset2 + c)))
                        + (new Vector<float>(tap.W3) * Vector.LoadUnsafe(ref Unsafe.Add(ref map, tap.Offset3 + c)))
                        + (new Vector<float>(tap.W4) * Vector.LoadUnsafe(ref Unsafe.Add(ref map, tap.Offset4 + c)));
                }

                if (divisor > 0)
                {
                    a = exactReciprocal ? a * reciprocalVector : a / divisorVector;
                }

                Vector.StoreUnsafe(a, ref acc, i);
            }
        }

        var reciprocal = 1f / divisor;
        for (; c < n; c++)
        {
            var a = fromZero ? 0f : Unsafe.Add(ref acc, c);
            for (var t = 0; t < taps.Length; t++)
            {
                ref readonly var tap = ref taps[t];
                a += (tap.W1 * Unsafe.Add(ref map, tap.Offset1 + c)) + (tap.W2 * Unsafe.Add(ref map, tap.Offset2 + c))
                    + (tap.W3 * Unsafe.Add(ref map, tap.Offset3 + c)) + (tap.W4 * Unsafe.Add(ref map, tap.Offset4 + c));
            }

            if (divisor > 0)
            {
                a = exactReciprocal ? a * reciprocal : a / divisor;
            }

            Unsafe.Add(ref acc, c) = a;
        }
    }
}
