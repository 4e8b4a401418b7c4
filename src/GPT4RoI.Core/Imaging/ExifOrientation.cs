using System.Buffers.Binary;

namespace GPT4RoI.Core.Imaging;

/// <summary>Reads the orientation tag (0x0112) of IFD0 from a TIFF-structured EXIF block, allocating nothing.</summary>
internal static class ExifOrientation
{
    private const ushort OrientationTag = 0x0112;

    /// <summary>The orientation (1–8), or 0 when the block has none or is malformed.</summary>
    public static ushort Read(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 0;
        }

        bool little;
        if (tiff[0] == (byte)'I' && tiff[1] == (byte)'I')
        {
            little = true;
        }
        else if (tiff[0] == (byte)'M' && tiff[1] == (byte)'M')
        {
            little = false;
        }
        else
        {
            return 0;
        }

        var ifd = ReadUInt32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2)
        {
            return 0;
        }

        var count = ReadUInt16(tiff[(int)ifd..], little);
        var entries = (int)ifd + 2;
        for (var k = 0; k < count && entries + (12 * (k + 1)) <= tiff.Length; k++)
        {
            var entry = tiff.Slice(entries + (12 * k), 12);
            if (ReadUInt16(entry, little) != OrientationTag)
            {
                continue;
            }

            // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
            var value = ReadUInt16(entry.Slice(2), little) == 3 ? ReadUInt16(entry.Slice(8), little) : (ushort)0;
            return value is >= 1 and <= 8 ? value : (ushort)0;
        }

        return 0;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data) : BinaryPrimitives.ReadUInt16BigEndian(data);

    private static uint ReadUInt32(ReadOnlySpan<byte> data, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data) : BinaryPrimitives.ReadUInt32BigEndian(data);
}
