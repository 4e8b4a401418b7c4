namespace GPT4RoI.Core.Models;

public sealed record ModelDims
{
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int NumPatches { get; init; }
    public required int VisionWidth { get; init; }
    public required int RegionWidth { get; init; }
    public required int NumLevels { get; init; }
    public required int[] FeatureMapSizes { get; init; }
    public required double[] FeatureStrides { get; init; }
    public required int RoiSize { get; init; }
    public required int SamplingRatio { get; init; }
    public required bool RoiAligned { get; init; }
    public required string RoiPool { get; init; }
    public required int Hidden { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
}
