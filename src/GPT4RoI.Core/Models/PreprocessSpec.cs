namespace GPT4RoI.Core.Models;

public sealed record PreprocessSpec
{
    public required string Color { get; init; }
    public required bool ApplyExifOrientation { get; init; }
    public required int[] Resize { get; init; }
    public required double Scale { get; init; }
    public required float[] Mean { get; init; }
    public required float[] Std { get; init; }
    public required string Layout { get; init; }
}
