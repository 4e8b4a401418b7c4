namespace GPT4RoI.Core.Inference;

/// <summary>What the vision graph computes once per image: reused for every box and every turn.</summary>
public sealed class ImageFeatures
{
    /// <summary>Wraps the vision graph's outputs for one image; the arrays are kept, not copied.</summary>
    /// <param name="contentHash">SHA-256 of the image bytes, the cache key.</param>
    /// <param name="width">Width of the oriented image in pixels.</param>
    /// <param name="height">Height of the oriented image in pixels.</param>
    /// <param name="imageTokens">[num_patches, hidden] image tokens.</param>
    /// <param name="fusedMaps">One [S, S, region_width] channels-last map per level, finest first.</param>
    public ImageFeatures(string contentHash, int width, int height, float[] imageTokens, float[][] fusedMaps)
    {
        ContentHash = contentHash;
        Width = width;
        Height = height;
        ImageTokens = imageTokens;
        FusedMaps = fusedMaps;
    }

    /// <summary>SHA-256 of the encoded image bytes, lowercase hex; the <see cref="ImageFeatureCache"/> key.</summary>
    public string ContentHash { get; }
    /// <summary>Size of the oriented image, for box normalisation.</summary>
    public int Width { get; }
    /// <summary>Height of the oriented image in pixels.</summary>
    public int Height { get; }
    /// <summary>[num_patches, hidden] after the projector.</summary>
    public float[] ImageTokens { get; }
    /// <summary>Per level: [S, S, region_width] channels-last.</summary>
    public float[][] FusedMaps { get; }

    /// <summary>Bytes the float arrays take; what the image cache counts against its capacity.</summary>
    public long SizeInBytes => sizeof(float) * (ImageTokens.LongLength + FusedMaps.Sum(m => m.LongLength));
}
