namespace GPT4RoI.Core.Contracts;

/// <summary>The body of <c>POST /api/describe</c>: JSON, or the <c>request</c> part of a multipart upload (then the
/// image is the <c>image</c> part, not <see cref="ImageBlob"/>).</summary>
public sealed record DescribeRequest
{
    /// <summary>A blob in the app's inbox container: <c>inbox/name.png</c> or <c>name.png</c> (JSON <c>image_blob</c>).</summary>
    public string? ImageBlob { get; init; }

    /// <summary>The question asked about each detected object, naming it <c>&lt;region1&gt;</c>; absent: the model's
    /// (JSON <c>question</c>).</summary>
    public string? Question { get; init; }

    /// <summary>Describe only detections scored above this, in [0, 1) (JSON <c>min_score</c>).</summary>
    public double? MinScore { get; init; }

    /// <summary>Decoding settings; greedy when absent (JSON <c>generation</c>).</summary>
    public GenerationSettings? Generation { get; init; }

    /// <summary>Stream one event per object as server-sent events (also with <c>Accept: text/event-stream</c>)
    /// (JSON <c>stream</c>).</summary>
    public bool Stream { get; init; }
}
