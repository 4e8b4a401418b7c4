namespace GPT4RoI.Core.Contracts;

/// <summary>A box a turn introduced, with the number the question names it by (an entry of a turn's <c>regions</c>).</summary>
/// <param name="Region">The region number N of <c>&lt;regionN&gt;</c>, from 1, counted across the task's turns (JSON <c>region</c>).</param>
/// <param name="Box"><c>[x1, y1, x2, y2]</c> in pixels of the EXIF-oriented image, as given (not clipped) (JSON <c>box</c>).</param>
public sealed record RegionInfo(int Region, double[] Box);
