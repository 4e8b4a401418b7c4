using System.Buffers.Binary;
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
