using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using GPT4RoI.Core.Inference;
using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.ModelTools.Tensors;

/// <summary>
/// Reads a tensor bundle: a JSON manifest whose <c>"tensors"</c> object maps a tensor name to
/// <c>{ "dtype": "float32"|"float16"|"int64"|"int32"|"uint8", "shape": [ints], "file": "relative/path.bin", "sha256": "optional lowercase hex" }</c>.
/// Each <c>.bin</c> file holds raw little-endian values in C (row-major) order; its path is relative to the
/// folder of the JSON file. When <c>sha256</c> is present the file's digest is verified on load.
/// </summary>
public sealed class TensorBundle
{
    private readonly Dictionary<string, TensorData> _tensors;

    private TensorBundle(string path, Dictionary<string, TensorData> tensors)
    {
        Path = path;
        _tensors = tensors;
    }

    /// <summary>Full path of the JSON manifest this bundle was loaded from.</summary>
    public string Path { get; }

    /// <summary>Tensor names, in manifest order.</summary>
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <summary>Whether the bundle has a tensor with the given name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Gets a tensor by name.</summary>
    /// <exception cref="KeyNotFoundException">The bundle has no tensor with that name.</exception>
    public TensorData Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_tensors.TryGetValue(name, out var tensor))
        {
            return tensor;
        }

        throw new KeyNotFoundException(
            $"Tensor bundle '{Path}' has no tensor '{name}' (has: {string.Join(", ", _tensors.Keys)}).");
    }

    /// <summary>Loads a bundle and all of its tensor data.</summary>
    /// <exception cref="FileNotFoundException">The manifest or a tensor's data file is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed, or a data file's size or digest does not match.</exception>
    public static TensorBundle Load(string jsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonPath);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("tensor bundles are little-endian; big-endian hosts are not supported");
        }

        var fullPath = System.IO.Path.GetFullPath(jsonPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Tensor bundle manifest '{fullPath}' not found.", fullPath);
        }

        var folder = System.IO.Path.GetDirectoryName(fullPath) ?? ".";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(fullPath));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tensor bundle manifest '{fullPath}' is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("tensors", out var tensorsElement)
                || tensorsElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Tensor bundle manifest '{fullPath}' has no \"tensors\" object.");
            }

            var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
            foreach (var entry in tensorsElement.EnumerateObject())
            {
                tensors[entry.Name] = LoadTensor(fullPath, folder, entry.Name, entry.Value);
            }

            return new TensorBundle(fullPath, tensors);
        }
    }

    private static TensorData LoadTensor(string manifestPath, string folder, string name, JsonElement spec)
    {
        string Where() => $"tensor '{name}' in bundle '{manifestPath}'";

        if (spec.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{Where()}: entry must be an object.");
        }

        var dtypeText = GetString(spec, "dtype", Where);
        if (!TensorDtypes.TryParse(dtypeText, out var dtype))
        {
            throw new InvalidDataException(
                $"{Where()}: unsupported dtype '{dtypeText}' (expected float32, float16, int64, int32 or uint8).");
        }

        if (!spec.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{Where()}: missing \"shape\" array.");
        }

        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new InvalidDataException($"{Where()}: shape entries must be non-negative integers.");
            }

            shape.Add(value);
        }

        var relative = GetString(spec, "file", Where);
        var dataPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
        if (!File.Exists(dataPath))
        {
            throw new FileNotFoundException($"{Where()}: data file '{dataPath}' not found.", dataPath);
        }

        long elementCount = 1;
        foreach (var dim in shape)
        {
            elementCount = checked(elementCount * dim);
        }

        var expectedBytes = checked(elementCount * TensorDtypes.SizeOf(dtype));
        var actualBytes = new FileInfo(dataPath).Length;
        if (actualBytes != expectedBytes)
        {
            throw new InvalidDataException(
                $"{Where()}: data file '{dataPath}' has {actualBytes} bytes but shape [{string.Join(",", shape)}] " +
                $"of {TensorDtypes.ToName(dtype)} needs {expectedBytes} bytes.");
        }

        if (expectedBytes > Array.MaxLength)
        {
            throw new InvalidDataException($"{Where()}: data file '{dataPath}' is too large ({expectedBytes} bytes).");
        }

        var bytes = File.ReadAllBytes(dataPath);

        if (spec.TryGetProperty("sha256", out var shaElement) && shaElement.ValueKind != JsonValueKind.Null)
        {
            if (shaElement.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{Where()}: \"sha256\" must be a string.");
            }

            var expected = shaElement.GetString()!.Trim();
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"{Where()}: sha256 mismatch for data file '{dataPath}': manifest says {expected}, file is {actual}.");
            }
        }

        return new TensorData(name, dtype, shape.ToArray(), bytes);
    }

    private static string GetString(JsonElement spec, string property, Func<string> where)
    {
        if (!spec.TryGetProperty(property, out var element) || element.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(element.GetString()))
        {
            throw new InvalidDataException($"{where()}: missing \"{property}\" string.");
        }

        return element.GetString()!;
    }
}

/// <summary>Element types supported by <see cref="TensorBundle"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Naming", "CA1720:Identifier contains type name", Justification = "Members name tensor element types on purpose.")]
public enum TensorDtype
{
    /// <summary>IEEE 754 single precision.</summary>
    Float32,

    /// <summary>IEEE 754 half precision.</summary>
    Float16,

    /// <summary>Signed 64-bit integer.</summary>
    Int64,

    /// <summary>Signed 32-bit integer.</summary>
    Int32,

    /// <summary>Unsigned byte.</summary>
    UInt8,
}

/// <summary>Helpers for <see cref="TensorDtype"/>.</summary>
public static class TensorDtypes
{
    /// <summary>Size of one element in bytes.</summary>
    public static int SizeOf(TensorDtype dtype) => dtype switch
    {
        TensorDtype.Float32 => 4,
        TensorDtype.Float16 => 2,
        TensorDtype.Int64 => 8,
        TensorDtype.Int32 => 4,
        TensorDtype.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Manifest name of a dtype (numpy spelling).</summary>
    public static string ToName(TensorDtype dtype) => dtype switch
    {
        TensorDtype.Float32 => "float32",
        TensorDtype.Float16 => "float16",
        TensorDtype.Int64 => "int64",
        TensorDtype.Int32 => "int32",
        TensorDtype.UInt8 => "uint8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a manifest dtype name.</summary>
    public static bool TryParse(string? text, out TensorDtype dtype)
    {
        switch (text)
        {
            case "float32": dtype = TensorDtype.Float32; return true;
            case "float16": dtype = TensorDtype.Float16; return true;
            case "int64": dtype = TensorDtype.Int64; return true;
            case "int32": dtype = TensorDtype.Int32; return true;
            case "uint8": dtype = TensorDtype.UInt8; return true;
            default: dtype = default; return false;
        }
    }
}

/// <summary>One tensor of a <see cref="TensorBundle"/>: dtype, shape and raw little-endian bytes.</summary>
public sealed class TensorData
{
    private readonly byte[] _bytes;
    private readonly long[] _shape;

    /// <summary>Creates a tensor from raw little-endian bytes.</summary>
    public TensorData(string name, TensorDtype dtype, long[] shape, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(bytes);
        long count = 1;
        foreach (var dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(shape));
            count = checked(count * dim);
        }

        if (checked(count * TensorDtypes.SizeOf(dtype)) != bytes.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}': {bytes.Length} bytes do not match shape [{string.Join(",", shape)}] of {TensorDtypes.ToName(dtype)}.",
                nameof(bytes));
        }

        Name = name;
        Dtype = dtype;
        _shape = (long[])shape.Clone();
        _bytes = bytes;
        ElementCount = count;
    }

    /// <summary>Creates a float32 tensor.</summary>
    public static TensorData FromFloat32(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, TensorDtype.Float32, shape, Float32Bytes(values));

    /// <summary>Creates a float16 tensor from float32 values (rounded to nearest half).</summary>
    public static TensorData FromFloat16(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        HalfPrecision.ToHalf(values, MemoryMarshal.Cast<byte, Float16>(bytes.AsSpan()));

        return new(name, TensorDtype.Float16, shape, bytes);
    }

    /// <summary>Creates an int64 tensor.</summary>
    public static TensorData FromInt64(string name, long[] shape, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return new(name, TensorDtype.Int64, shape, bytes);
    }

    /// <summary>Creates an int32 tensor.</summary>
    public static TensorData FromInt32(string name, long[] shape, ReadOnlySpan<int> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return new(name, TensorDtype.Int32, shape, bytes);
    }

    /// <summary>Creates a uint8 tensor.</summary>
    public static TensorData FromUInt8(string name, long[] shape, ReadOnlySpan<byte> values) =>
        new(name, TensorDtype.UInt8, shape, values.ToArray());

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public TensorDtype Dtype { get; }

    /// <summary>Shape (a copy).</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>Number of elements (product of the shape; 0 when a dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>The raw little-endian bytes (a copy).</summary>
    public byte[] AsBytes() => (byte[])_bytes.Clone();

    /// <summary>Values as float32; float16 is widened, other dtypes are rejected.</summary>
    public float[] AsFloat32()
    {
        switch (Dtype)
        {
            case TensorDtype.Float32:
                return Values<float>().ToArray();
            case TensorDtype.Float16:
                var result = new float[ElementCount];
                HalfPrecision.ToSingle(Values<Half>(), result);
                return result;
            default:
                throw WrongType("float32");
        }
    }

    /// <summary>Values as float16 bit patterns (ushort), for float16 tensors only.</summary>
    public ushort[] AsFloat16Bits() => Dtype == TensorDtype.Float16 ? Values<ushort>().ToArray() : throw WrongType("float16");

    /// <summary>Values as int64; int32 and uint8 are widened, float dtypes are rejected.</summary>
    public long[] AsInt64() => Dtype switch
    {
        TensorDtype.Int64 => Values<long>().ToArray(),
        TensorDtype.Int32 => Array.ConvertAll(Values<int>().ToArray(), v => (long)v),
        TensorDtype.UInt8 => Array.ConvertAll(_bytes, v => (long)v),
        _ => throw WrongType("int64"),
    };

    /// <summary>Values as int32; uint8 is widened, int64 is narrowed only when every value fits.</summary>
    public int[] AsInt32()
    {
        switch (Dtype)
        {
            case TensorDtype.Int32:
                return Values<int>().ToArray();
            case TensorDtype.UInt8:
                return Array.ConvertAll(_bytes, v => (int)v);
            case TensorDtype.Int64:
                var wide = Values<long>();
                var result = new int[wide.Length];
                for (var i = 0; i < wide.Length; i++)
                {
                    if (wide[i] is < int.MinValue or > int.MaxValue)
                    {
                        throw new InvalidOperationException(
                            $"Tensor '{Name}': int64 value {wide[i].ToString(CultureInfo.InvariantCulture)} at index {i} does not fit in int32.");
                    }

                    result[i] = (int)wide[i];
                }

                return result;
            default:
                throw WrongType("int32");
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {TensorDtypes.ToName(Dtype)}[{string.Join(",", _shape)}]";

    private static byte[] Float32Bytes(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    /// <summary>The stored little-endian values, reinterpreted in place (the loader refuses big-endian hosts).</summary>
    private ReadOnlySpan<T> Values<T>()
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(_bytes.AsSpan());

    private InvalidOperationException WrongType(string wanted) =>
        new($"Tensor '{Name}' is {TensorDtypes.ToName(Dtype)}; it cannot be read as {wanted}.");
}
