using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// float32 ↔ float16 conversion for fp16 graphs, vectorised by <see cref="TensorPrimitives"/> with round-to-nearest-even
/// (as ONNX Runtime's own <see cref="Float16"/> cast rounds). ONNX Runtime's <see cref="Float16"/> and .NET's
/// <see cref="Half"/> are both IEEE binary16 in two bytes, so spans are reinterpreted, not copied.
/// </summary>
public static class HalfPrecision
{
    /// <summary>Converts <paramref name="source"/> to float16; <paramref name="destination"/> must be as long.</summary>
    public static void ToHalf(ReadOnlySpan<float> source, Span<Float16> destination) =>
        TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<Float16, Half>(destination));

    /// <summary>Converts float16 values to float32; <paramref name="destination"/> must be as long.</summary>
    public static void ToSingle(ReadOnlySpan<Float16> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(source), destination);

    /// <summary>Converts float16 values to float32; <paramref name="destination"/> must be as long.</summary>
    public static void ToSingle(ReadOnlySpan<Half> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(source, destination);
}
