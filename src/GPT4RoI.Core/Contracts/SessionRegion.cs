namespace GPT4RoI.Core.Contracts;

/// <summary>A box a session turn introduced (an entry of the turn's <c>regions</c>).</summary>
/// <param name="Region">The region number N of <c>&lt;regionN&gt;</c>, counted across the session's successful turns;
/// null when the turn failed and gave out no number (JSON <c>region</c>).</param>
/// <param name="Box"><c>[x1, y1, x2, y2]</c> in pixels of the EXIF-oriented image, as given (JSON <c>box</c>).</param>
public sealed record SessionRegion(int? Region, double[] Box);
