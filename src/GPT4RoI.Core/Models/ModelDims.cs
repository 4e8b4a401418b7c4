namespace GPT4RoI.Core.Models;

/// <summary>The sizes of a model (manifest <c>dims</c>); the engine takes every tensor shape from here. Examples are the
/// shipped tiny model's.</summary>
public sealed record ModelDims
{
    /// <summary>Side of the square model input in pixels; images are resized to it (JSON <c>image_size</c>, 224).</summary>
    public required int ImageSize { get; init; }

    /// <summary>Side of one vision patch in input pixels (JSON <c>patch_size</c>, 14).</summary>
    public required int PatchSize { get; init; }

    /// <summary>Image tokens per image, (image_size / patch_size)²; also the number of patch tokens in the prompt
    /// (JSON <c>num_patches</c>, 256).</summary>
    public required int NumPatches { get; init; }

    /// <summary>Channel width of the vision encoder's features, before the projector (JSON <c>vision_width</c>, 64).</summary>
    public required int VisionWidth { get; init; }

    /// <summary>Channels of each fused map and of each RoIAlign sample, i.e. the region head's input width
    /// (JSON <c>region_width</c>, 32).</summary>
    public required int RegionWidth { get; init; }

    /// <summary>Number of fused feature maps RoIAlign samples each box from (JSON <c>num_levels</c>, 4).</summary>
    public required int NumLevels { get; init; }

    /// <summary>Side S of each level's square map, finest first; one entry per level (JSON <c>feature_map_sizes</c>,
    /// 128, 64, 32, 16).</summary>
    public required int[] FeatureMapSizes { get; init; }

    /// <summary>Input pixels per map cell at each level, image_size / S; RoIAlign's spatial scale is its inverse
    /// (JSON <c>feature_strides</c>, 1.75 … 14).</summary>
    public required double[] FeatureStrides { get; init; }

    /// <summary>Side of the RoIAlign output grid per box and level (JSON <c>roi_size</c>, 14).</summary>
    public required int RoiSize { get; init; }

    /// <summary>RoIAlign sample points per output cell along each axis; 0 or less means adaptive, as in torchvision
    /// (JSON <c>sampling_ratio</c>, 2).</summary>
    public required int SamplingRatio { get; init; }

    /// <summary>Half-pixel-aligned RoIAlign (torchvision <c>aligned=True</c>); must be true (JSON <c>roi_aligned</c>).</summary>
    public required bool RoiAligned { get; init; }

    /// <summary>RoIAlign pooling; only <c>avg</c> is supported (JSON <c>roi_pool</c>).</summary>
    public required string RoiPool { get; init; }

    /// <summary>Decoder hidden size: width of token embeddings, image tokens and region embeddings; must equal
    /// heads × head_dim (JSON <c>hidden</c>, 192; 4096 for GPT4RoI-7B).</summary>
    public required int Hidden { get; init; }

    /// <summary>Decoder layers; the decoder graph has one past/present key and value per layer (JSON <c>layers</c>, 4).</summary>
    public required int Layers { get; init; }

    /// <summary>Attention heads per decoder layer (JSON <c>heads</c>, 6).</summary>
    public required int Heads { get; init; }

    /// <summary>Size of one attention head; the last dimension of the KV cache (JSON <c>head_dim</c>, 32).</summary>
    public required int HeadDim { get; init; }

    /// <summary>Token ids the decoder knows, base vocabulary plus added tokens; the last dimension of the logits
    /// (JSON <c>vocab_size</c>, 517).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Longest sequence the decoder accepts: prompt tokens plus max new tokens may not exceed it
    /// (JSON <c>max_positions</c>, 1024).</summary>
    public required int MaxPositions { get; init; }
}
