using System.Buffers;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// Pillow's <c>Image.resize(size, Image.BICUBIC)</c> of an RGB uint8 image, bit for bit (Pillow's
/// <c>libImaging/Resample.c</c>, as in Pillow 9.4.0, which made the goldens): a separable convolution with the cubic
/// kernel a = −0.5 whose support (2) is widened by the scale when downscaling (antialiasing); the coefficients of each
/// output pixel are computed in double, normalised to sum 1, then rounded to 22-bit fixed point; the horizontal pass
/// runs first over the rows the vertical pass needs, then the vertical pass; each pass adds ½ and shifts, clipping to
/// 0..255. A pass whose size does not change is skipped, as in Pillow. Buffers come from <see cref="ArrayPool{T}"/>.
/// </summary>
internal static class PillowBicubic
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double FilterSupport = 2.0;

    /// <summary>
    /// (width, height) after CLIPImageProcessor's resize (transformers' <c>get_resize_output_image_size</c> with
    /// <c>default_to_square=False</c>): the shorter side becomes <paramref name="shortestEdge"/> and the longer
    /// <c>int(shortestEdge * long / short)</c>; unchanged when the shorter side already is <paramref name="shortestEdge"/>.
    /// </summary>
    internal static (int Width, int Height) ClipProcessorSize(int width, int height, int shortestEdge)
    {
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        if (shortSide == shortestEdge)
        {
            return (width, height);
        }

        // Python: int(224 * long / short): the exact integer product, one correctly rounded division, truncation.
        var newLong = (int)((double)((long)shortestEdge * longSide) / shortSide);
        return width <= height ? (shortestEdge, newLong) : (newLong, shortestEdge);
    }

    /// <summary>Resizes <paramref name="image"/> to <paramref name="outWidth"/> × <paramref name="outHeight"/> into
    /// <paramref name="destination"/> (RGB, row-major, 3 bytes per pixel).</summary>
    internal static void Resize(Image<Rgb24> image, int outWidth, int outHeight, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outHeight);
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, outWidth * outHeight * 3);
        int inWidth = image.Width, inHeight = image.Height;
        var needHorizontal = outWidth != inWidth;
        var needVertical = outHeight != inHeight;
        var ksizeH = KernelSize(inWidth, outWidth);
        var ksizeV = KernelSize(inHeight, outHeight);
        var boundsH = ArrayPool<int>.Shared.Rent(2 * outWidth);
        var boundsV = ArrayPool<int>.Shared.Rent(2 * outHeight);
        var kkH = ArrayPool<int>.Shared.Rent(outWidth * ksizeH);
        var kkV = ArrayPool<int>.Shared.Rent(outHeight * ksizeV);
        byte[]? temp = null;
        try
        {
            Precompute(inWidth, outWidth, ksizeH, boundsH, kkH);
            Precompute(inHeight, outHeight, ksizeV, boundsV, kkV);

            // The source rows the vertical pass reads.
            var first = boundsV[0];
            var last = boundsV[(2 * outHeight) - 2] + boundsV[(2 * outHeight) - 1];
            for (var i = 0; i < outHeight; i++)
            {
                boundsV[2 * i] -= first;
            }

            // Horizontal pass (or a copy of the rows when the width does not change) into temp [last - first, outWidth, 3].
            var tempRows = last - first;
            var tempLength = tempRows * outWidth * 3;
            temp = ArrayPool<byte>.Shared.Rent(tempLength);
            var pass = new HorizontalPass(temp, first, tempRows, outWidth, needHorizontal, ksizeH, boundsH, kkH);
            image.ProcessPixelRows(pass.Run);

            if (!needVertical)
            {
                // Pillow returns the horizontal pass's image: with the height unchanged it holds every row.
                temp.AsSpan(0, tempLength).CopyTo(destination);
                return;
            }

            Vertical(temp.AsSpan(0, tempLength), outWidth * 3, destination, outHeight, ksizeV, boundsV, kkV);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(boundsH);
            ArrayPool<int>.Shared.Return(boundsV);
            ArrayPool<int>.Shared.Return(kkH);
            ArrayPool<int>.Shared.Return(kkV);
            if (temp is not null)
            {
                ArrayPool<byte>.Shared.Return(temp);
            }
        }
    }

    private static int KernelSize(int inSize, int outSize)
    {
        var filterScale = Math.Max(1.0, (double)inSize / outSize);
        return ((int)Math.Ceiling(FilterSupport * filterScale) * 2) + 1;
    }

    /// <summary>Pillow's <c>precompute_coeffs</c> (box = the whole image) then <c>normalize_coeffs_8bpc</c>.</summary>
    private static void Precompute(int inSize, int outSize, int ksize, Span<int> bounds, Span<int> kk)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(1.0, scale);
        var support = FilterSupport * filterScale;
        var ss = 1.0 / filterScale;
        Span<double> k = ksize <= 256 ? stackalloc double[ksize] : new double[ksize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ww = 0.0;
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0)
            {
                xmin = 0;
            }

            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
            {
                xmax = inSize;
            }

            xmax -= xmin;
            k.Clear();
            for (var x = 0; x < xmax; x++)
            {
                var w = Cubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                if (ww != 0.0)
                {
                    k[x] /= ww;
                }
            }

            var row = kk.Slice(xx * ksize, ksize);
            for (var x = 0; x < ksize; x++)
            {
                row[x] = k[x] < 0 ? (int)(-0.5 + (k[x] * (1 << PrecisionBits))) : (int)(0.5 + (k[x] * (1 << PrecisionBits)));
            }

            bounds[2 * xx] = xmin;
            bounds[(2 * xx) + 1] = xmax;
        }
    }

    /// <summary>Pillow's <c>bicubic_filter</c> (a = −0.5), the same double operations in the same order.</summary>
    private static double Cubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0)
        {
            x = -x;
        }

        if (x < 1.0)
        {
            return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        }

        if (x < 2.0)
        {
            return ((((((x - 5) * x) + 8) * x) - 4) * a);
        }

        return 0.0;
    }

    /// <summary>Pillow's <c>clip8</c>: <c>ss &gt;&gt; 22</c> clipped to 0..255.</summary>
    private static byte Clip8(int ss)
    {
        var v = ss >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private static void Vertical(ReadOnlySpan<byte> source, int rowBytes, Span<byte> destination, int outHeight, int ksize,
        ReadOnlySpan<int> bounds, ReadOnlySpan<int> kk)
    {
        const int half = 1 << (PrecisionBits - 1);
        for (var yy = 0; yy < outHeight; yy++)
        {
            var k = kk.Slice(yy * ksize, ksize);
            var ymin = bounds[2 * yy];
            var ymax = bounds[(2 * yy) + 1];
            var output = destination.Slice(yy * rowBytes, rowBytes);
            for (var i = 0; i < rowBytes; i++)
            {
                var ss = half;
                for (var y = 0; y < ymax; y++)
                {
                    ss += source[((y + ymin) * rowBytes) + i] * k[y];
                }

                output[i] = Clip8(ss);
            }
        }
    }

    private sealed class HorizontalPass(byte[] temp, int firstRow, int rows, int outWidth, bool resize, int ksize, int[] bounds, int[] kk)
    {
        public void Run(PixelAccessor<Rgb24> accessor)
        {
            const int half = 1 << (PrecisionBits - 1);
            var rowBytes = outWidth * 3;
            for (var r = 0; r < rows; r++)
            {
                var source = MemoryMarshal.AsBytes(accessor.GetRowSpan(firstRow + r));
                var output = temp.AsSpan(r * rowBytes, rowBytes);
                if (!resize)
                {
                    source.CopyTo(output);
                    continue;
                }

                for (var xx = 0; xx < outWidth; xx++)
                {
                    var k = kk.AsSpan(xx * ksize, ksize);
                    var xmin = bounds[2 * xx];
                    var xmax = bounds[(2 * xx) + 1];
                    int s0 = half, s1 = half, s2 = half;
                    var p = source.Slice(xmin * 3, xmax * 3);
                    for (var x = 0; x < xmax; x++)
                    {
                        var w = k[x];
                        s0 += p[3 * x] * w;
                        s1 += p[(3 * x) + 1] * w;
                        s2 += p[(3 * x) + 2] * w;
                    }

                    output[3 * xx] = Clip8(s0);
                    output[(3 * xx) + 1] = Clip8(s1);
                    output[(3 * xx) + 2] = Clip8(s2);
                }
            }
        }
    }
}
