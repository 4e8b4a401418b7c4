using System.Buffers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// Makes ImageSharp's decode of a chroma-subsampled (4:2:0 or 4:2:2) YCbCr JPEG match libjpeg-turbo (PIL, the
/// reference) instead of differing by up to ~90 levels on colour edges. ImageSharp 2.1 upsamples chroma by
/// replication and converts to RGB in float (clamping, so chroma cannot be recovered from its RGB); libjpeg-turbo
/// uses "fancy" (triangle) upsampling and integer YCbCr→RGB. So the file is decoded with the colour transform
/// switched off (an Adobe APP14 marker with transform 0 is inserted, or an existing one patched), which gives the
/// raw Y, Cb, Cr samples as R, G, B; each chroma block's replicated value is then upsampled with libjpeg-turbo's
/// <c>h2v2_fancy_upsample</c> / <c>h2v1_fancy_upsample</c> (jdsample.c) and converted with its integer tables
/// (jdcolor.c), in place, one pass over rows. What is left is ImageSharp's float IDCT against libjpeg's islow
/// (±3 levels on a few pixels). 4:4:4, grayscale, 4:4:0 and other layouts are left to ImageSharp.
/// </summary>
internal sealed class JpegChromaUpsampling
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    // jdcolor.c build_ycc_rgb_table: Cr=>R, Cb=>B, and the two G terms (the G sum is shifted by SCALEBITS later).
    private static readonly int[] CrR = new int[256];
    private static readonly int[] CbB = new int[256];
    private static readonly int[] CrG = new int[256];
    private static readonly int[] CbG = new int[256];

    private readonly int _horizontal;
    private readonly int _vertical;
    private readonly int _adobeTransformOffset;

    static JpegChromaUpsampling()
    {
        for (int i = 0, x = -128; i < 256; i++, x++)
        {
            CrR[i] = ((Fix(1.40200) * x) + OneHalf) >> ScaleBits;
            CbB[i] = ((Fix(1.77200) * x) + OneHalf) >> ScaleBits;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = (-Fix(0.34414) * x) + OneHalf;
        }
    }

    private JpegChromaUpsampling(int horizontal, int vertical, int adobeTransformOffset)
    {
        _horizontal = horizontal;
        _vertical = vertical;
        _adobeTransformOffset = adobeTransformOffset;
    }

    /// <summary>Luma sampling factors (chroma is 1x1): (2, 2) for 4:2:0, (2, 1) for 4:2:2.</summary>
    public (int Horizontal, int Vertical) Sampling => (_horizontal, _vertical);

    /// <summary>Length of the bytes <see cref="WriteRawYccJpeg"/> writes.</summary>
    public int RawYccLength(int dataLength) => dataLength + (_adobeTransformOffset < 0 ? AdobeRgb.Length : 0);

    // APP14 "Adobe", version 100, flags 0, 0, transform 0 (no colour transform: components are decoded as RGB).
    private static ReadOnlySpan<byte> AdobeRgb =>
        [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0, 0, 0, 0, 0];

    private static int Fix(double x) => (int)((x * (1L << ScaleBits)) + 0.5);

    /// <summary>
    /// Reads the markers up to the first scan. Returns a plan for an 8-bit, 3-component YCbCr JPEG whose luma is
    /// sampled 2x2 or 2x1 and both chroma components 1x1; null for anything else (left to ImageSharp as is).
    /// </summary>
    public static JpegChromaUpsampling? TryCreate(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return null;
        }

        var adobeTransformOffset = -1;
        (int H, int V)? sampling = null;
        var i = 2;
        while (i + 3 < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return null;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2;
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            var length = (data[i + 2] << 8) | data[i + 3];
            if (length < 2 || i + 2 + length > data.Length)
            {
                return null;
            }

            var segment = data.Slice(i + 4, length - 2);
            if (marker == 0xEE && segment.Length >= 12 && segment[..5].SequenceEqual("Adobe"u8))
            {
                // A second Adobe marker, or one that does not say YCbCr (1): leave the file alone.
                if (adobeTransformOffset >= 0 || segment[11] != 1)
                {
                    return null;
                }

                adobeTransformOffset = i + 4 + 11;
            }
            else if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                if (sampling is not null)
                {
                    return null;
                }

                sampling = FrameSampling(segment);
                if (sampling is null)
                {
                    return null;
                }
            }

            i += 2 + length;
        }

        return sampling is { } s ? new JpegChromaUpsampling(s.H, s.V, adobeTransformOffset) : null;
    }

    /// <summary>SOF: precision, height, width, Nf, then (id, HV, Tq) per component.</summary>
    private static (int H, int V)? FrameSampling(ReadOnlySpan<byte> sof)
    {
        if (sof.Length < 6 + 9 || sof[0] != 8 || sof[5] != 3)
        {
            return null;
        }

        var c = sof.Slice(6, 9);

        // Component ids 'R', 'G', 'B': ImageSharp (and libjpeg without JFIF) take the data as RGB.
        if (c[0] == 'R' && c[3] == 'G' && c[6] == 'B')
        {
            return null;
        }

        int h = c[1] >> 4, v = c[1] & 0xF;
        if (c[4] != 0x11 || c[7] != 0x11 || h != 2 || v is not (1 or 2))
        {
            return null;
        }

        return (h, v);
    }

    /// <summary>Writes the JPEG with its colour transform switched off into <paramref name="destination"/>.</summary>
    public void WriteRawYccJpeg(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (_adobeTransformOffset >= 0)
        {
            data.CopyTo(destination);
            destination[_adobeTransformOffset] = 0;
            return;
        }

        data[..2].CopyTo(destination);
        AdobeRgb.CopyTo(destination[2..]);
        data[2..].CopyTo(destination[(2 + AdobeRgb.Length)..]);
    }

    /// <summary>
    /// Converts an image decoded from <see cref="WriteRawYccJpeg"/> (R, G, B = Y, Cb, Cr with chroma replicated
    /// over each block) to RGB in place, as libjpeg-turbo does.
    /// </summary>
    public void ConvertInPlace(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var width = image.Width;
        var chromaWidth = (width + _horizontal - 1) / _horizontal;
        var ring = ArrayPool<byte>.Shared.Rent(6 * chromaWidth);
        try
        {
            var state = new Converter(this, ring, chromaWidth);
            image.ProcessPixelRows(state.Run);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(ring);
        }
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    private sealed class Converter(JpegChromaUpsampling plan, byte[] ring, int chromaWidth)
    {
        // Ring of the 3 latest chroma rows, per channel: Cb rows in slots 0..2, Cr rows in slots 3..5.
        private Span<byte> Cb(int row) => ring.AsSpan((row % 3) * chromaWidth, chromaWidth);

        private Span<byte> Cr(int row) => ring.AsSpan(((row % 3) + 3) * chromaWidth, chromaWidth);

        public void Run(PixelAccessor<Rgb24> accessor)
        {
            int hs = plan._horizontal, vs = plan._vertical;
            var height = accessor.Height;
            var chromaHeight = (height + vs - 1) / vs;

            // libjpeg-turbo uses the fancy upsamplers only when the chroma is wider than 2 samples.
            var fancy = chromaWidth > 2;
            var cached = -1;
            for (var y = 0; y < height; y++)
            {
                var j = y / vs;

                // Chroma row j (and j + 1 for h2v2) is read from luma row j * vs before that row is overwritten.
                var need = vs == 2 && fancy ? Math.Min(j + 1, chromaHeight - 1) : j;
                while (cached < need)
                {
                    cached++;
                    var source = accessor.GetRowSpan(cached * vs);
                    var cb = Cb(cached);
                    var cr = Cr(cached);
                    for (var bx = 0; bx < cb.Length; bx++)
                    {
                        var p = source[bx * hs];
                        cb[bx] = p.G;
                        cr[bx] = p.B;
                    }
                }

                var row = accessor.GetRowSpan(y);
                if (!fancy)
                {
                    ConvertReplicated(row, Cb(j), Cr(j), hs);
                }
                else if (vs == 2)
                {
                    // Nearest chroma row and the next nearest: above for even rows, below for odd (edges replicated).
                    var other = (y & 1) == 0 ? Math.Max(j - 1, 0) : Math.Min(j + 1, chromaHeight - 1);
                    ConvertH2V2(row, Cb(j), Cb(other), Cr(j), Cr(other));
                }
                else
                {
                    ConvertH2V1(row, Cb(j), Cr(j));
                }
            }
        }

        /// <summary>
        /// jdsample.c h2v2_fancy_upsample: column sums s = 3 * nearest row + next nearest row, then
        /// (3 * s[k] + s[k - 1] + 8) >> 4 for the left output of each sample and (3 * s[k] + s[k + 1] + 7) >> 4
        /// for the right one, the first and last sample standing in for their missing neighbours.
        /// </summary>
        private static void ConvertH2V2(Span<Rgb24> row, ReadOnlySpan<byte> cb0, ReadOnlySpan<byte> cb1, ReadOnlySpan<byte> cr0, ReadOnlySpan<byte> cr1)
        {
            var last = cb0.Length - 1;
            for (var x = 0; x < row.Length; x++)
            {
                var k = x >> 1;
                var n = (x & 1) == 0 ? Math.Max(k - 1, 0) : Math.Min(k + 1, last);
                var bias = (x & 1) == 0 ? 8 : 7;
                var cb = ((3 * ((3 * cb0[k]) + cb1[k])) + (3 * cb0[n]) + cb1[n] + bias) >> 4;
                var cr = ((3 * ((3 * cr0[k]) + cr1[k])) + (3 * cr0[n]) + cr1[n] + bias) >> 4;
                row[x] = ToRgb(row[x].R, cb, cr);
            }
        }

        /// <summary>jdsample.c h2v1_fancy_upsample: (3 * c[k] + c[k - 1] + 1) >> 2 and (3 * c[k] + c[k + 1] + 2) >> 2.</summary>
        private static void ConvertH2V1(Span<Rgb24> row, ReadOnlySpan<byte> cbRow, ReadOnlySpan<byte> crRow)
        {
            var last = cbRow.Length - 1;
            for (var x = 0; x < row.Length; x++)
            {
                var k = x >> 1;
                var n = (x & 1) == 0 ? Math.Max(k - 1, 0) : Math.Min(k + 1, last);
                var bias = (x & 1) == 0 ? 1 : 2;
                var cb = ((3 * cbRow[k]) + cbRow[n] + bias) >> 2;
                var cr = ((3 * crRow[k]) + crRow[n] + bias) >> 2;
                row[x] = ToRgb(row[x].R, cb, cr);
            }
        }

        private static void ConvertReplicated(Span<Rgb24> row, ReadOnlySpan<byte> cbRow, ReadOnlySpan<byte> crRow, int hs)
        {
            for (var x = 0; x < row.Length; x++)
            {
                row[x] = ToRgb(row[x].R, cbRow[x / hs], crRow[x / hs]);
            }
        }

        /// <summary>jdcolor.c ycc_rgb_convert with range limiting.</summary>
        private static Rgb24 ToRgb(int y, int cb, int cr) => new(
            Clamp(y + CrR[cr]),
            Clamp(y + ((CbG[cb] + CrG[cr]) >> ScaleBits)),
            Clamp(y + CbB[cb]));
    }
}
