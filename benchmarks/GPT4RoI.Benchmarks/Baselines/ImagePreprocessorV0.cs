using System.Buffers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Benchmarks.Baselines;

/// <summary>
/// The preprocessor as it was before the P2 work (src/GPT4RoI.Core/Imaging/ImagePreprocessor.cs at commit 5bf60bf), kept so
/// that every P2 run measures the change and checks that the pixels are unchanged.
/// </summary>
internal static class ImagePreprocessorV0
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

        int inWidth = image.Width, inHeight = image.Height;
        var ints = ArrayPool<int>.Shared.Rent((6 * size) + inHeight);
        var weights = ArrayPool<float>.Shared.Rent(4 * size);
        float[]? rows = null;
        try
        {
            var x0 = ints.AsSpan(0, size);
            var x1 = ints.AsSpan(size, size);
            var y0 = ints.AsSpan(2 * size, size);
            var y1 = ints.AsSpan(3 * size, size);
            var rowOfSlot = ints.AsSpan(4 * size, 2 * size);
            var slotOfRow = ints.AsSpan(6 * size, inHeight);
            var wx0 = weights.AsSpan(0, size);
            var wx1 = weights.AsSpan(size, size);
            var wy0 = weights.AsSpan(2 * size, size);
            var wy1 = weights.AsSpan(3 * size, size);
            ComputeIndices(inWidth, x0, x1, wx0, wx1);
            ComputeIndices(inHeight, y0, y1, wy0, wy1);

            // Input rows the output needs (at most 2 per output row), each given a slot in the row buffer.
            slotOfRow.Fill(-1);
            var slots = 0;
            for (var oy = 0; oy < size; oy++)
            {
                foreach (var y in (ReadOnlySpan<int>)[y0[oy], y1[oy]])
                {
                    if (slotOfRow[y] < 0)
                    {
                        slotOfRow[y] = slots;
                        rowOfSlot[slots++] = y;
                    }
                }
            }

            // Horizontal pass: each needed input row → [3][size] floats, t = w0 * p[x0] + w1 * p[x1].
            var rowStride = 3 * size;
            rows = ArrayPool<float>.Shared.Rent(slots * rowStride);
            var state = new HorizontalPass(ints, weights, rows, size, slots);
            image.ProcessPixelRows(state.Run);

            // Vertical pass and normalisation: v = h0 * t[y0] + h1 * t[y1]; (v / 255 - mean) / std.
            for (var c = 0; c < 3; c++)
            {
                var mean = settings.Mean[c];
                var std = settings.Std[c];
                var plane = destination.Slice(c * size * size, size * size);
                for (var oy = 0; oy < size; oy++)
                {
                    var top = rows.AsSpan((slotOfRow[y0[oy]] * rowStride) + (c * size), size);
                    var bottom = rows.AsSpan((slotOfRow[y1[oy]] * rowStride) + (c * size), size);
                    float h0 = wy0[oy], h1 = wy1[oy];
                    var output = plane.Slice(oy * size, size);
                    for (var ox = 0; ox < output.Length; ox++)
                    {
                        var v = (top[ox] * h0) + (bottom[ox] * h1);
                        output[ox] = ((v / 255f) - mean) / std;
                    }
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

    private sealed class HorizontalPass(int[] ints, float[] weights, float[] rows, int size, int slots)
    {
        public void Run(PixelAccessor<Rgb24> accessor)
        {
            var x0 = ints.AsSpan(0, size);
            var x1 = ints.AsSpan(size, size);
            var rowOfSlot = ints.AsSpan(4 * size, 2 * size);
            var wx0 = weights.AsSpan(0, size);
            var wx1 = weights.AsSpan(size, size);
            for (var s = 0; s < slots; s++)
            {
                var pixels = accessor.GetRowSpan(rowOfSlot[s]);
                var r = rows.AsSpan(s * 3 * size, size);
                var g = rows.AsSpan((s * 3 * size) + size, size);
                var b = rows.AsSpan((s * 3 * size) + (2 * size), size);
                for (var ox = 0; ox < size; ox++)
                {
                    var p0 = pixels[x0[ox]];
                    var p1 = pixels[x1[ox]];
                    float w0 = wx0[ox], w1 = wx1[ox];
                    r[ox] = (p0.R * w0) + (p1.R * w1);
                    g[ox] = (p0.G * w0) + (p1.G * w1);
                    b[ox] = (p0.B * w0) + (p1.B * w1);
                }
            }
        }
    }
}
