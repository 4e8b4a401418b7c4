namespace GPT4RoI.Core.Contracts;

/// <summary>The result of describing the detected objects of an image (CLI <c>describe --json</c>, <c>/api/describe</c>,
/// a blob drop with <c>"regions": "detect"</c>).</summary>
public sealed record DescribeResult
{
    /// <summary>The image (JSON <c>image</c>).</summary>
    public required ImageSummary Image { get; init; }

    /// <summary>The model that answered (JSON <c>model</c>).</summary>
    public required ModelInfo Model { get; init; }

    /// <summary>The detector that found the regions (JSON <c>detector</c>).</summary>
    public required DetectorInfo Detector { get; init; }

    /// <summary>The detection prompt mode: <c>per_region</c>, <c>official_cli_demo</c> or <c>det_llava</c> (JSON <c>mode</c>).</summary>
    public required string Mode { get; init; }

    /// <summary>The question: asked per object (per_region) or once after every region (one-turn modes) (JSON <c>question</c>).</summary>
    public required string Question { get; init; }

    /// <summary>The described objects, score descending; empty when nothing was detected (JSON <c>objects</c>).</summary>
    public required List<DescribedObject> Objects { get; init; }

    /// <summary>One-turn modes: the one answer about all the regions (JSON <c>answer</c>).</summary>
    public string? Answer { get; init; }

    /// <summary>Detections left out: below the minimum box side, over the region limit, or filtered by the prompt
    /// mode (JSON <c>skipped</c>).</summary>
    public int Skipped { get; init; }

    /// <summary>Score values of the detector output that were NaN and ignored (JSON <c>nan_scores</c>, absent when 0).</summary>
    public int? NanScores { get; init; }

    /// <summary>Token totals (JSON <c>usage</c>).</summary>
    public required TokenUsage Usage { get; init; }

    /// <summary>Milliseconds: <c>decode_image</c>, <c>detect</c>, <c>answer</c>, <c>total</c> (JSON <c>timings_ms</c>).</summary>
    public required Dictionary<string, double> TimingsMs { get; init; }
}
