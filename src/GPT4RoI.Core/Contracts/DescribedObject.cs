namespace GPT4RoI.Core.Contracts;

/// <summary>One detected object and what the model said about it (an entry of <c>objects</c>).</summary>
public sealed record DescribedObject
{
    /// <summary>Its number, from 1, in detection order (score descending); in the per-region mode also the region number
    /// a session started from these detections gives it (JSON <c>index</c>).</summary>
    public required int Index { get; init; }

    /// <summary><c>[x1, y1, x2, y2]</c> in pixels of the EXIF-oriented image (JSON <c>box</c>).</summary>
    public required double[] Box { get; init; }

    /// <summary>The detector's class name (JSON <c>label</c>).</summary>
    public required string Label { get; init; }

    /// <summary>The detector's class id (JSON <c>class_id</c>).</summary>
    public required int ClassId { get; init; }

    /// <summary>The detector's score (JSON <c>score</c>).</summary>
    public required double Score { get; init; }

    /// <summary>Per-region mode: the question asked about this object (JSON <c>question</c>).</summary>
    public string? Question { get; init; }

    /// <summary>Per-region mode: the model's answer about this object (JSON <c>answer</c>).</summary>
    public string? Answer { get; init; }

    /// <summary>Per-region mode: why this object has no answer (JSON <c>error</c>).</summary>
    public ErrorInfo? Error { get; init; }
}
