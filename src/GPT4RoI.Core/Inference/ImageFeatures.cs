namespace GPT4RoI.Core.Inference;

/// <summary>What the vision graph computes once per image: reused for every box and every turn.</summary>
public sealed class ImageFeatures
{
    public ImageFeatures(string contentHash, int width, int height, float[] imageTokens, float[][] fusedMaps)
    {
        ContentHash = contentHash;
        Width = width;
        Height = height;
        ImageTokens = imageTokens;
        FusedMaps = fusedMaps;
    }

    public string ContentHash { get; }
    /// <summary>Size of the oriented image, for box normalisation.</summary>
    public int Width { get; }
    public int Height { get; }
    /// <summary>[num_patches, hidden] after the projector.</summary>
    public float[] ImageTokens { get; }
    /// <summary>Per level: [S, S, region_width] channels-last.</summary>
    public float[][] FusedMaps { get; }

    public long SizeInBytes => sizeof(float) * (ImageTokens.LongLength + FusedMaps.Sum(m => m.LongLength));
}
