namespace GPT4RoI.ModelTools.Tensors;

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
