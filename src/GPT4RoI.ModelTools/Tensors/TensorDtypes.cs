namespace GPT4RoI.ModelTools.Tensors;

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
