namespace GPT4RoI.Core.Imaging;

/// <summary>Limits on the regions of one request.</summary>
public sealed record BoxPolicy
{
    /// <summary>The default policy.</summary>
    public static BoxPolicy Default { get; } = new();

    /// <summary>Most regions accepted in one request (default 32).</summary>
    public int MaxRegions { get; init; } = 32;
}
