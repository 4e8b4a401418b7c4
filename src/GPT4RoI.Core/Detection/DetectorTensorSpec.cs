namespace GPT4RoI.Core.Detection;

/// <summary>One named tensor of the detector graph: its name, shape (−1 or 0 for a dynamic dimension) and element type.</summary>
public sealed record DetectorTensorSpec
{
    /// <summary>The graph's tensor name (JSON <c>name</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The shape; a dimension ≤ 0 is dynamic (JSON <c>shape</c>).</summary>
    public required long[] Shape { get; init; }

    /// <summary>Element type, <c>float32</c> or <c>int64</c> (JSON <c>dtype</c>).</summary>
    public required string Dtype { get; init; }

    /// <summary>The layout in words, e.g. <c>NCHW</c>; informative (JSON <c>layout</c>).</summary>
    public string? Layout { get; init; }
}
