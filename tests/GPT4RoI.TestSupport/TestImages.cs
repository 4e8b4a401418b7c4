using System.Buffers.Binary;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.TestSupport;

/// <summary>Small encoded images made in memory for tests.</summary>
public static class TestImages
{
    /// <summary>Encodes an image with the given encoder.</summary>
    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>A PNG of one colour.</summary>
    public static byte[] SolidPng(int width, int height, Rgb24 color)
    {
        using var image = new Image<Rgb24>(width, height, color);
        return Encode(image, new PngEncoder());
    }

    /// <summary>Rewrites the IHDR width/height of a PNG and fixes the chunk CRC (a header that lies about its size).</summary>
    public static byte[] PatchPngSize(byte[] png, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(png);
        var bytes = (byte[])png.Clone();
        if (!bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new ArgumentException("not a PNG with IHDR first", nameof(png));
        }

        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    /// <summary>Inserts a chunk (with its CRC) right after the IHDR chunk of a PNG.</summary>
    public static byte[] InsertPngChunk(byte[] png, string type, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(png);
        ArgumentNullException.ThrowIfNull(type);
        const int afterHeader = 8 + 12 + 13;
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png.AsSpan(0, afterHeader), .. chunk, .. png.AsSpan(afterHeader)];
    }

    /// <summary>
    /// The payload of a PNG text chunk whose text is zlib-compressed zeros that inflate to
    /// <paramref name="inflatedBytes"/>: a zTXt payload, or with <paramref name="international"/> a compressed iTXt one.
    /// 200 MB of text compress to about 200 KB.
    /// </summary>
    public static byte[] CompressedTextPayload(long inflatedBytes, bool international)
    {
        using var output = new MemoryStream();
        output.Write(international ? "Comment\0\u0001\0\0\0"u8 : "Comment\0\0"u8);
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var left = inflatedBytes; left > 0; left -= zeros.Length)
            {
                zlib.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }

        return output.ToArray();
    }

    /// <summary>A TIFF-structured EXIF block (big-endian) holding only the orientation tag.</summary>
    public static byte[] ExifOrientationBlock(ushort orientation) =>
        [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Inserts JPEG marker segments (marker, payload) right after the SOI marker.</summary>
    public static byte[] InsertJpegSegments(byte[] jpeg, byte marker, ReadOnlySpan<byte> payload, int count)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        if (payload.Length > 65533)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "a JPEG segment holds at most 65533 bytes");
        }

        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment.AsSpan(4));
        using var output = new MemoryStream();
        output.Write(jpeg, 0, 2);
        for (var k = 0; k < count; k++)
        {
            output.Write(segment);
        }

        output.Write(jpeg, 2, jpeg.Length - 2);
        return output.ToArray();
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
