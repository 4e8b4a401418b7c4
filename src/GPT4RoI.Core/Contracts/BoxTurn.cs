using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Contracts;

/// <summary>One question of a task and the new boxes it introduces.</summary>
public sealed record BoxTurn
{
    /// <summary>The question.</summary>
    public string Question { get; init; } = "";
    /// <summary>New boxes this turn introduces, pixel xyxy in the (EXIF-oriented) image.</summary>
    public List<double[]?>? Regions { get; init; }

    /// <summary>The new boxes.</summary>
    /// <exception cref="RegionInputException">A region is not four numbers.</exception>
    public IReadOnlyList<BoundingBox> Boxes() => BoundingBox.FromArrays(Regions);
}
