namespace GPT4RoI.Core.Models;

/// <summary>One precision variant of the graphs (an entry of manifest <c>variants</c>, keyed <c>fp32</c> or <c>fp16</c>).</summary>
public sealed record VariantSpec
{
    /// <summary>Graph name (<c>vision</c>, <c>region_head</c>, <c>decoder</c>) → ONNX file name in the folder; every graph
    /// must be present (JSON <c>graphs</c>).</summary>
    public required Dictionary<string, string> Graphs { get; init; }

    /// <summary>Float type of the graphs' inputs and outputs, <c>float32</c> or <c>float16</c> (JSON <c>dtype</c>).</summary>
    public required string Dtype { get; init; }
    /// <summary>How the weights are stored when not plain floats (e.g. the int4 MatMulNBits decoder).</summary>
    public string? Weights { get; init; }
}
