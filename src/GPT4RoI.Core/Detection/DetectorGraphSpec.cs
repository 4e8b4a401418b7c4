namespace GPT4RoI.Core.Detection;

/// <summary>The detector's ONNX graph (manifest <c>graph</c>).</summary>
public sealed record DetectorGraphSpec
{
    /// <summary>The graph file, relative to the folder (JSON <c>file</c>).</summary>
    public required string File { get; init; }

    /// <summary>The ONNX opset it was exported with; informative (JSON <c>opset</c>).</summary>
    public int Opset { get; init; }

    /// <summary>Float type of the graph's inputs and outputs; only <c>float32</c> is read (JSON <c>dtype</c>).</summary>
    public required string Dtype { get; init; }
}
