using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// Measures an image's metadata before ImageSharp reads it, and finds its EXIF orientation without reading the
/// rest. ImageSharp 2.1 inflates PNG zTXt/iTXt text whole (a 200 KB file can hold 200 MB of text) and joins
/// repeated JPEG APP1/APP2 segments by copying (quadratic in their count); both happen in <c>Identify</c> too. The
/// scan counts each metadata block as its size, compressed text as its inflated size (inflating at most the
/// budget), and every block as at least <see cref="MinimumBlockCost"/>, so a file within the budget costs
/// ImageSharp little; a file over it is decoded with metadata ignored. WebP and GIF metadata is always ignored (the
/// decoder reads the WebP EXIF orientation through <see cref="Orientation"/>): ImageSharp 2.1 allocates a WebP
/// metadata chunk's declared size, at a place in the file of its own parsing.
/// </summary>
internal static class ImageMetadataScan
{
    /// <summary>The least a metadata block counts for: bounds the number of blocks (and per-block work) a budget admits.</summary>
    internal const int MinimumBlockCost = 16 * 1024;

    /// <summary>Whether the metadata of the image exceeds <paramref name="budget"/> bytes.</summary>
    public static bool ExceedsBudget(ReadOnlyMemory<byte> data, string format, long budget) => format switch
    {
        "png" => PngMetadataBytes(data, budget) > budget,
        "jpeg" => JpegMetadataBytes(data.Span, budget) > budget,
        _ => false,
    };

    /// <summary>The EXIF orientation (1–8) of the image, 0 when it has none or it cannot be read.</summary>
    public static ushort Orientation(ReadOnlySpan<byte> data, string format) => format switch
    {
        "png" => ExifOrientation.Read(StripExifHeader(FindPngChunk(data, "eXIf"u8))),
        "jpeg" => ExifOrientation.Read(FindJpegExif(data)),
        "webp" => ExifOrientation.Read(StripExifHeader(FindWebpChunk(data, "EXIF"u8))),
        _ => 0,
    };

    internal static long PngMetadataBytes(ReadOnlyMemory<byte> data, long budget)
    {
        var span = data.Span;
        long total = 0;
        long i = 8;
        while (i + 8 <= span.Length && total <= budget)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(span[(int)i..]);
            var type = span.Slice((int)i + 4, 4);
            var start = i + 8;
            var available = (int)Math.Min(length, span.Length - start);
            if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            if (type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8))
            {
                total += Math.Max(MinimumBlockCost, TextChunkBytes(data.Slice((int)start, available), type[0] == (byte)'z', budget - total + 1));
            }
            else if (type.SequenceEqual("tEXt"u8) || type.SequenceEqual("eXIf"u8) || type.SequenceEqual("iCCP"u8))
            {
                total += Math.Max(MinimumBlockCost, available);
            }

            i = start + length + 4L;
        }

        return total;
    }

    /// <summary>A text chunk's size, its compressed text counted inflated (at most <paramref name="limit"/> bytes are inflated).</summary>
    private static long TextChunkBytes(ReadOnlyMemory<byte> chunk, bool ztxt, long limit)
    {
        var span = chunk.Span;
        var keyword = span.IndexOf((byte)0);
        if (keyword < 0)
        {
            return chunk.Length;
        }

        int textStart;
        if (ztxt)
        {
            textStart = keyword + 2;
        }
        else
        {
            // iTXt: keyword 0 flag method language 0 translated-keyword 0 text; flag 1 = compressed.
            if (keyword + 3 > span.Length || span[keyword + 1] != 1)
            {
                return chunk.Length;
            }

            var language = span[(keyword + 3)..].IndexOf((byte)0);
            var translated = language < 0 ? -1 : span[(keyword + 4 + language)..].IndexOf((byte)0);
            if (translated < 0)
            {
                return chunk.Length;
            }

            textStart = keyword + 5 + language + translated;
        }

        if (textStart > span.Length)
        {
            return chunk.Length;
        }

        return textStart + InflatedLength(chunk[textStart..], limit);
    }

    /// <summary>How many bytes a zlib stream inflates to, counting at most <paramref name="limit"/>; broken data counts what came out before the break.</summary>
    private static long InflatedLength(ReadOnlyMemory<byte> zlib, long limit)
    {
        var source = MemoryMarshal.TryGetArray(zlib, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(zlib.ToArray(), writable: false);
        var scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long total = 0;
        try
        {
            using var inflater = new ZLibStream(source, CompressionMode.Decompress);
            int read;
            while (total <= limit && (read = inflater.Read(scratch, 0, scratch.Length)) > 0)
            {
                total += read;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // ZLibException (an IOException) for some broken streams, InvalidDataException for others.
            // ImageSharp drops such text too; what was inflated still counts.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            source.Dispose();
        }

        return total;
    }

    internal static long JpegMetadataBytes(ReadOnlySpan<byte> data, long budget)
    {
        long total = 0;
        foreach (var (marker, _, length) in JpegSegments(data))
        {
            // APP1 (EXIF, XMP), APP2 (ICC), APP13 (Photoshop): the segments ImageSharp copies and joins.
            if (marker is 0xE1 or 0xE2 or 0xED)
            {
                total += Math.Max(MinimumBlockCost, length);
                if (total > budget)
                {
                    break;
                }
            }
        }

        return total;
    }

    /// <summary>
    /// Whether a WebP may hold lossless (VP8L) data: the bytes <c>VP8L</c> anywhere, or an <c>ALPH</c> chunk header
    /// whose payload starts with compression method 1 (VP8L). A search, not a chunk walk: ImageSharp's chunk parsing
    /// differs from the RIFF layout on malformed files (it reads past an oversized VP8X chunk), so a walk could miss
    /// what ImageSharp will decode.
    /// </summary>
    public static bool HasLosslessWebpData(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf("VP8L"u8) >= 0)
        {
            return true;
        }

        for (var at = data.IndexOf("ALPH"u8); at >= 0; at = NextIndex(data, "ALPH"u8, at + 1))
        {
            if (at + 8 < data.Length && (data[at + 8] & 0x03) == 1)
            {
                return true;
            }
        }

        return false;
    }

    private static int NextIndex(ReadOnlySpan<byte> data, ReadOnlySpan<byte> value, int from)
    {
        var next = data[from..].IndexOf(value);
        return next < 0 ? -1 : from + next;
    }

    private static ReadOnlySpan<byte> FindPngChunk(ReadOnlySpan<byte> data, ReadOnlySpan<byte> wanted)
    {
        long i = 8;
        while (i + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)i..]);
            var start = i + 8;
            if (data.Slice((int)i + 4, 4).SequenceEqual(wanted))
            {
                return data.Slice((int)start, (int)Math.Min(length, data.Length - start));
            }

            i = start + length + 4L;
        }

        return [];
    }

    private static ReadOnlySpan<byte> FindJpegExif(ReadOnlySpan<byte> data)
    {
        foreach (var (marker, start, length) in JpegSegments(data))
        {
            var segment = data.Slice(start, length);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8))
            {
                return segment[6..];
            }
        }

        return [];
    }

    private static ReadOnlySpan<byte> FindWebpChunk(ReadOnlySpan<byte> data, ReadOnlySpan<byte> wanted)
    {
        foreach (var (type, start, length, _) in WebpChunks(data))
        {
            if (data.Slice(type, 4).SequenceEqual(wanted))
            {
                return data.Slice(start, length);
            }
        }

        return [];
    }

    private static ReadOnlySpan<byte> StripExifHeader(ReadOnlySpan<byte> exif) =>
        exif.StartsWith("Exif\0\0"u8) ? exif[6..] : exif;

    /// <summary>The marker segments before the first scan: marker, offset and length of the payload after the length field.</summary>
    private static JpegSegmentEnumerator JpegSegments(ReadOnlySpan<byte> data) => new(data);

    private static WebpChunkEnumerator WebpChunks(ReadOnlySpan<byte> data) => new(data);

    private ref struct JpegSegmentEnumerator(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> data = data;
        private int position = 2;

        /// <summary>The marker and the payload's offset and length in the data.</summary>
        public (byte Marker, int Start, int Length) Current { get; private set; }

        public readonly JpegSegmentEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8)
            {
                return false;
            }

            while (position + 1 < data.Length)
            {
                if (data[position] != 0xFF)
                {
                    return false;
                }

                var marker = data[position + 1];
                if (marker == 0xFF)
                {
                    position++;
                    continue;
                }

                if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
                {
                    position += 2;
                    continue;
                }

                if (marker is 0xD9 or 0xDA || position + 3 >= data.Length)
                {
                    return false;
                }

                var length = (data[position + 2] << 8) | data[position + 3];
                if (length < 2)
                {
                    return false;
                }

                var start = position + 4;
                var end = Math.Min(data.Length, position + 2 + length);
                position += 2 + length;
                Current = (marker, start, Math.Max(0, end - start));
                return true;
            }

            return false;
        }
    }

    private ref struct WebpChunkEnumerator(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> data = data;
        private long position = 12;

        /// <summary>The offsets of the chunk's type and payload in the data, the payload's length in the data and its declared size.</summary>
        public (int Type, int Start, int Length, long Declared) Current { get; private set; }

        public readonly WebpChunkEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (data.Length < 12 || !data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WEBP"u8)
                || position + 8 > data.Length)
            {
                return false;
            }

            var start = (int)position;
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(start + 4)..]);
            var payload = start + 8;
            var available = (int)Math.Min(size, data.Length - payload);
            Current = (start, payload, available, size);
            position = payload + (long)size + (size & 1);
            return true;
        }
    }
}
