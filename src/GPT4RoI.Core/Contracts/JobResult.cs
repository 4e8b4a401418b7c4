namespace GPT4RoI.Core.Contracts;

/// <summary>The result JSON of one box manifest (docs/api.md).</summary>
public sealed record JobResult
{
    /// <summary>The manifest's <c>request_id</c>, echoed; absent when it had none (JSON <c>request_id</c>).</summary>
    public string? RequestId { get; init; }
    /// <summary>The image the tasks were asked about (JSON <c>image</c>).</summary>
    public required ImageInfo Image { get; init; }
    /// <summary>The model that answered (JSON <c>model</c>).</summary>
    public required ModelInfo Model { get; init; }
    /// <summary>One result per manifest task, in manifest order; a failed task carries its error (JSON <c>tasks</c>).</summary>
    public required List<TaskResult> Tasks { get; init; }
    /// <summary>Token totals over all answered turns (JSON <c>usage</c>).</summary>
    public required TokenUsage Usage { get; init; }
    /// <summary>Milliseconds, rounded to 0.01: <c>decode_image</c>, <c>encode_image</c> (vision graph; about 0 when the
    /// features came from the cache) and <c>total</c> (JSON <c>timings_ms</c>).</summary>
    public required Dictionary<string, double> TimingsMs { get; init; }
    /// <summary>Detect manifests: the detector that found the objects (JSON <c>detector</c>).</summary>
    public DetectorInfo? Detector { get; init; }
    /// <summary>Detect manifests: the detection prompt mode (JSON <c>mode</c>).</summary>
    public string? Mode { get; init; }
    /// <summary>Detect manifests: the question asked (JSON <c>question</c>).</summary>
    public string? Question { get; init; }
    /// <summary>Detect manifests: each detected object with its answer, score descending; empty when nothing was
    /// detected (JSON <c>objects</c>).</summary>
    public List<DescribedObject>? Objects { get; init; }
    /// <summary>Detect manifests in a one-turn detection prompt mode: the one answer (JSON <c>answer</c>).</summary>
    public string? Answer { get; init; }
    /// <summary>When the result was made, UTC (JSON <c>created_utc</c>).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }
}
