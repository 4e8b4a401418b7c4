namespace GPT4RoI.Core.Contracts;

/// <summary>
/// The body of <c>POST /api/query</c> and <c>POST /api/sessions</c>: JSON, or the <c>request</c> part of a multipart
/// upload (then the image is the <c>image</c> part, not <see cref="ImageBlob"/>).
/// </summary>
public sealed record QueryRequest
{
    /// <summary>A blob in the app's inbox container: <c>inbox/name.png</c> or <c>name.png</c>. URLs are refused.</summary>
    public string? ImageBlob { get; init; }

    /// <summary>The question; it names the boxes as <c>&lt;region1&gt;</c>, <c>&lt;region2&gt;</c>, …</summary>
    public string? Question { get; init; }

    /// <summary>Boxes as <c>[x1, y1, x2, y2]</c> in pixels of the (EXIF-oriented) image, numbered in order.</summary>
    public List<double[]?>? Regions { get; init; }

    /// <summary>Decoding settings; greedy when absent.</summary>
    public GenerationSettings? Generation { get; init; }

    /// <summary>Detect the objects first: they become the first regions, <c>&lt;region1&gt;</c>… in detection order (score
    /// descending), before <see cref="Regions"/>; the question names them (JSON <c>detect</c>).</summary>
    public bool Detect { get; init; }

    /// <summary>Stream tokens as server-sent events (also when the client sends <c>Accept: text/event-stream</c>).</summary>
    public bool Stream { get; init; }
}
