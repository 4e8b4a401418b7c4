using System.Globalization;
using System.Runtime.InteropServices;
using GPT4RoI.Core.Inference;
using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.ModelTools.Tensors;

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
