using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// Turns an RGB image into the model's pixel tensor like the reference (<c>models/gpt4roi_ref/preprocess.py</c>), in
/// the settings' <see cref="PreprocessSettings.Mode"/>:
/// <list type="bullet">
/// <item><see cref="PreprocessMode.StretchBilinear"/>: uint8 → float32, torch <c>F.interpolate(mode="bilinear",
/// align_corners=False)</c> without antialiasing, then <c>x / 255</c>, then <c>(x - mean[c]) / std[c]</c>, all in float32;</item>
/// <item><see cref="PreprocessMode.ClipProcessorStretch"/>: CLIPImageProcessor's resize with Pillow's bicubic, bit for bit
/// (<see cref="PillowBicubic"/>), then <c>(x / 255 - mean[c]) / std[c]</c> per uint8 value, then the same bilinear
/// interpolation to Size × Size on those floats.</item>
/// </list>
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Writes [3, Size, Size] planar (channel-major) normalised pixels into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination does not hold exactly <see cref="PreprocessSettings.ElementCount"/> floats.</exception>
    public static void WritePixels(Image<Rgb24> image, PreprocessSettings settings, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(settings);
        var size = settings.Size;
        if (destination.Length != settings.ElementCount)
        {
            throw new ArgumentException(
                $"Destination holds {destination.Length} floats; [3, {size}, {size}] needs {settings.ElementCount}.", nameof(destination));
        }

        if (settings.Mode == PreprocessMode.ClipProcessorStretch)
        {
            WriteClipProcessorPixels(image, settings, destination);
            return;
        }

        WriteResized(image, size, size, destination, size, size, 0, 0, settings.Mean, settings.Std);
    }

    /// <summary>
    /// Resizes the whole image to <paramref name="outWidth"/>×<paramref name="outHeight"/> (the same bilinear resize and
    /// normalisation as <see cref="WritePixels"/>) and writes it into a planar [3, canvasHeight, canvasWidth] destination
    /// with its top-left corner at (<paramref name="offsetX"/>, <paramref name="offsetY"/>); the rest of the canvas is
    /// left as it is (the detector's letterbox fills it with its pad value first).
    /// </summary>
    internal static void WriteResized(Image<Rgb24> image, int outWidth, int outHeight, Span<float> destination,
        int canvasWidth, int canvasHeight, int offsetX, int offsetY, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (outWidth <= 0 || outHeight <= 0 || offsetX < 0 || offsetY < 0 || offsetX + outWidth > canvasWidth ||
            offsetY + outHeight > canvasHeight || destination.Length != 3 * canvasWidth * canvasHeight)
        {
            throw new ArgumentException("the resized picture does not fit the canvas", nameof(destination));
        }

        int inWidth = image.Width, inHeight = image.Height;
        var ints = ArrayPool<int>.Shared.Rent((2 * outWidth) + (4 * outHeight) + inHeight);
        var weights = ArrayPool<float>.Shared.Rent((2 * outWidth) + (2 * outHeight));
        float[]? rows = null;
        try
        {
            var plan = new StretchPlan(inWidth, inHeight, outWidth, outHeight, ints, weights);
            var slots = plan.Slots;

            // Horizontal pass: each needed input row → [3][outWidth] floats, t = w0 * p[x0] + w1 * p[x1].
            var rowStride = 3 * outWidth;
            rows = ArrayPool<float>.Shared.Rent(Math.Max(1, slots * rowStride));
            var state = new HorizontalPass(ints, weights, rows, outWidth, outHeight, slots);
            image.ProcessPixelRows(state.Run);

            // Vertical pass and normalisation: v = h0 * t[y0] + h1 * t[y1]; (v / 255 - mean) / std.
            for (var c = 0; c < 3; c++)
            {
                var plane = destination.Slice(c * canvasWidth * canvasHeight, canvasWidth * canvasHeight);
                for (var oy = 0; oy < outHeight; oy++)
                {
                    VerticalRow(
                        rows.AsSpan((plan.SlotOfRow[plan.Y0[oy]] * rowStride) + (c * outWidth), outWidth),
                        rows.AsSpan((plan.SlotOfRow[plan.Y1[oy]] * rowStride) + (c * outWidth), outWidth),
                        plan.Wy0[oy],
                        plan.Wy1[oy],
                        mean[c],
                        std[c],
                        plane.Slice(((offsetY + oy) * canvasWidth) + offsetX, outWidth));
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ints);
            ArrayPool<float>.Shared.Return(weights);
            if (rows is not null)
            {
                ArrayPool<float>.Shared.Return(rows);
            }
        }
    }

    /// <summary>The uint8 image after CLIPImageProcessor's resize (Pillow bicubic), RGB row-major, for tests and tools.</summary>
    internal static byte[] ClipProcessorResize(Image<Rgb24> image, int shortestEdge, out int width, out int height)
    {
        (width, height) = PillowBicubic.ClipProcessorSize(image.Width, image.Height, shortestEdge);
        var resized = new byte[width * height * 3];
        if (width == image.Width && height == image.Height)
        {
            image.CopyPixelDataTo(resized);
        }
        else
        {
            PillowBicubic.Resize(image, width, height, resized);
        }

        return resized;
    }

    private static void WriteClipProcessorPixels(Image<Rgb24> image, PreprocessSettings settings, Span<float> destination)
    {
        var size = settings.Size;
        var (width, height) = PillowBicubic.ClipProcessorSize(image.Width, image.Height, size);
        var length = width * height * 3;
        var resized = ArrayPool<byte>.Shared.Rent(length);
        var ints = ArrayPool<int>.Shared.Rent((6 * size) + height);
        var floats = ArrayPool<float>.Shared.Rent((4 * size) + (3 * 256));
        float[]? rows = null;
        try
        {
            var rgb = resized.AsSpan(0, length);
            if (width == image.Width && height == image.Height)
            {
                image.CopyPixelDataTo(rgb);
            }
            else
            {
                PillowBicubic.Resize(image, width, height, rgb);
            }

            // (v / 255 - mean) / std of every uint8 value, per channel: the reference normalises the uint8 image first.
            var lut = floats.AsSpan(4 * size, 3 * 256);
            for (var c = 0; c < 3; c++)
            {
                for (var v = 0; v < 256; v++)
                {
                    lut[(c * 256) + v] = (((float)v / 255f) - settings.Mean[c]) / settings.Std[c];
                }
            }

            var plan = new StretchPlan(width, height, size, size, ints, floats);
            var slots = plan.Slots;

            // Horizontal pass over the normalised values: t = w0 * n[x0] + w1 * n[x1], per needed row, [3][size].
            var rowStride = 3 * size;
            rows = ArrayPool<float>.Shared.Rent(slots * rowStride);
            for (var s = 0; s < slots; s++)
            {
                var src = rgb.Slice(plan.RowOfSlot[s] * width * 3, width * 3);
                for (var c = 0; c < 3; c++)
                {
                    var table = lut.Slice(c * 256, 256);
                    var t = rows.AsSpan((s * rowStride) + (c * size), size);
                    for (var ox = 0; ox < size; ox++)
                    {
                        t[ox] = (table[src[(3 * plan.X0[ox]) + c]] * plan.Wx0[ox]) + (table[src[(3 * plan.X1[ox]) + c]] * plan.Wx1[ox]);
                    }
                }
            }

            // Vertical pass: v = h0 * t[y0] + h1 * t[y1].
            for (var c = 0; c < 3; c++)
            {
                var plane = destination.Slice(c * size * size, size * size);
                for (var oy = 0; oy < size; oy++)
                {
                    var top = rows.AsSpan((plan.SlotOfRow[plan.Y0[oy]] * rowStride) + (c * size), size);
                    var bottom = rows.AsSpan((plan.SlotOfRow[plan.Y1[oy]] * rowStride) + (c * size), size);
                    var output = plane.Slice(oy * size, size);
                    float h0 = plan.Wy0[oy], h1 = plan.Wy1[oy];
                    for (var x = 0; x < size; x++)
                    {
                        output[x] = (top[x] * h0) + (bottom[x] * h1);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(resized);
            ArrayPool<int>.Shared.Return(ints);
            ArrayPool<float>.Shared.Return(floats);
            if (rows is not null)
            {
                ArrayPool<float>.Shared.Return(rows);
            }
        }
    }

    /// <summary>
    /// Source indices and weights of torch's CPU linear interpolation (align_corners=False) for one axis, as
    /// ATen computes them for float32 input: scale = (float)in / out; the source position
    /// scale * (d + 0.5) - 0.5 and its fraction are computed in double (CPU acc_type of float), clamped at 0,
    /// and only the weight is rounded to float. Rounding the position to float first (as in the float-only
    /// formula) moves some weights by an ulp and the output by up to ~4e-5; the goldens match this version
    /// to ~5e-7.
    /// </summary>
    internal static void ComputeIndices(int inSize, Span<int> index0, Span<int> index1, Span<float> weight0, Span<float> weight1)
    {
        var outSize = index0.Length;
        double scale = (float)inSize / outSize;
        for (var d = 0; d < outSize; d++)
        {
            var src = (scale * (d + 0.5)) - 0.5;
            if (src < 0)
            {
                src = 0;
            }

            var i0 = Math.Min((int)Math.Floor(src), inSize - 1);
            var lambda = (float)Math.Clamp(src - i0, 0, 1);
            index0[d] = i0;
            index1[d] = i0 + (i0 < inSize - 1 ? 1 : 0);
            weight1[d] = lambda;
            weight0[d] = 1f - lambda;
        }
    }

    /// <summary>
    /// One output row of one channel: <c>output[x] = (((top[x] * h0) + (bottom[x] * h1)) / 255 - mean) / std</c>, vectorised
    /// across the row with the same float32 operations in the same order (no fused multiply-add), so every value is
    /// identical to the scalar formula.
    /// </summary>
    private static void VerticalRow(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, float h0, float h1, float mean, float std, Span<float> output)
    {
        var n = output.Length;
        var x = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count && top.Length >= n && bottom.Length >= n)
        {
            var vh0 = new Vector<float>(h0);
            var vh1 = new Vector<float>(h1);
            var v255 = new Vector<float>(255f);
            var vMean = new Vector<float>(mean);
            var vStd = new Vector<float>(std);
            ref var t = ref MemoryMarshal.GetReference(top);
            ref var b = ref MemoryMarshal.GetReference(bottom);
            ref var o = ref MemoryMarshal.GetReference(output);
            for (; x <= n - Vector<float>.Count; x += Vector<float>.Count)
            {
                var i = (nuint)x;
                var v = (Vector.LoadUnsafe(ref t, i) * vh0) + (Vector.LoadUnsafe(ref b, i) * vh1);
                Vector.StoreUnsafe(((v / v255) - vMean) / vStd, ref o, i);
            }
        }

        for (; x < n; x++)
        {
            var v = (top[x] * h0) + (bottom[x] * h1);
            output[x] = ((v / 255f) - mean) / std;
        }
    }

    private sealed class HorizontalPass(int[] ints, float[] weights, float[] rows, int outWidth, int outHeight, int slots)
    {
        public void Run(PixelAccessor<Rgb24> accessor)
        {
            var x0 = ints.AsSpan(0, outWidth);
            var x1 = ints.AsSpan(outWidth, outWidth);
            var rowOfSlot = ints.AsSpan((2 * outWidth) + (2 * outHeight), 2 * outHeight);
            var wx0 = weights.AsSpan(0, outWidth);
            var wx1 = weights.AsSpan(outWidth, outWidth);
            for (var s = 0; s < slots; s++)
            {
                var pixels = accessor.GetRowSpan(rowOfSlot[s]);
                var r = rows.AsSpan(s * 3 * outWidth, outWidth);
                var g = rows.AsSpan((s * 3 * outWidth) + outWidth, outWidth);
                var b = rows.AsSpan((s * 3 * outWidth) + (2 * outWidth), outWidth);
                for (var ox = 0; ox < outWidth; ox++)
                {
                    ref readonly var p0 = ref pixels[x0[ox]];
                    ref readonly var p1 = ref pixels[x1[ox]];
                    float w0 = wx0[ox], w1 = wx1[ox];
                    r[ox] = (p0.R * w0) + (p1.R * w1);
                    g[ox] = (p0.G * w0) + (p1.G * w1);
                    b[ox] = (p0.B * w0) + (p1.B * w1);
                }
            }
        }
    }
}
