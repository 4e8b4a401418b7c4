namespace GPT4RoI.Core.Inference;

/// <summary>Settings for <see cref="RoiAlign"/>; the defaults are those of the GPT4RoI manifest.</summary>
public sealed record RoiAlignOptions
{
    /// <summary>Side of the square input image in pixels: normalised boxes are multiplied by it (manifest <c>image_size</c>).</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Pooled output side P (manifest <c>roi_size</c>).</summary>
    public int OutputSize { get; init; } = 14;

    /// <summary>Samples per bin along each axis; 0 or negative means adaptive <c>ceil(roi / P)</c> (manifest <c>sampling_ratio</c>).</summary>
    public int SamplingRatio { get; init; } = 2;

    /// <summary>Upper bound on worker threads for <see cref="RoiAlign.ComputeParallel"/>; -1 means no limit.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}
