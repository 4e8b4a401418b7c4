using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace GPT4RoI.Benchmarks.Infrastructure;

/// <summary>Reads and writes float32 little-endian, C-order <c>.npy</c> files (format 1.0/2.0), the exchange format with the Python side.</summary>
public static class Npy
{
    /// <summary>Reads a float32 array and its shape.</summary>
    /// <exception cref="InvalidDataException">The file is not a C-order little-endian float32 <c>.npy</c>.</exception>
    public static (float[] Data, int[] Shape) ReadFloat32(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var magic = reader.ReadBytes(6);
        if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path}: not an .npy file");
        }

        var major = reader.ReadByte();
        reader.ReadByte();
        var headerLength = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
        var header = Encoding.ASCII.GetString(reader.ReadBytes(headerLength));
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: expected little-endian float32 in C order, header {header.Trim()}");
        }

        var shapeStart = header.IndexOf('(', StringComparison.Ordinal) + 1;
        var shapeEnd = header.IndexOf(')', shapeStart);
        var shape = header[shapeStart..shapeEnd]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        stream.ReadExactly(bytes);
        return (data, shape);
    }

    /// <summary>Writes a float32 array with the given shape (format 1.0).</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + (shape.Count == 1 ? "," : "");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        header += new string(' ', (64 - (total % 64)) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(data));
    }
}
