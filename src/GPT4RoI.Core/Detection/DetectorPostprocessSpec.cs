namespace GPT4RoI.Core.Detection;

/// <summary>Decode and NMS settings (manifest <c>postprocess</c>; docs/model-format.md, "Detector post-processing").</summary>
public sealed record DetectorPostprocessSpec
{
    /// <summary>A detection needs score &gt; this (strictly) (JSON <c>score_threshold</c>).</summary>
    public required double ScoreThreshold { get; init; }

    /// <summary><c>class_aware</c> or <c>none</c> (JSON <c>nms</c>).</summary>
    public required string Nms { get; init; }

    /// <summary>A same-class box with IoU &gt; this (strictly) with a kept box is suppressed; null when
    /// <see cref="Nms"/> is <c>none</c> (JSON <c>nms_iou_threshold</c>).</summary>
    public double? NmsIouThreshold { get; init; }

    /// <summary>Most detections kept (JSON <c>max_detections</c>).</summary>
    public required int MaxDetections { get; init; }

    /// <summary>Most candidates (by score) that enter NMS; the rest are dropped first, so a graph that passes
    /// thousands of boxes costs at most <see cref="MaxDetections"/> passes over this many. Absent:
    /// <see cref="DetectionSettings.DefaultMaxCandidates"/> (JSON <c>max_candidates</c>).</summary>
    public int? MaxCandidates { get; init; }

    /// <summary>Drop boxes left empty after clipping to the image; must be true (JSON <c>drop_empty_after_clip</c>).</summary>
    public bool DropEmptyAfterClip { get; init; } = true;

    /// <summary>The score rule in words; informative (JSON <c>score_rule</c>).</summary>
    public string? ScoreRule { get; init; }

    /// <summary>The NMS rule in words; informative (JSON <c>nms_rule</c>).</summary>
    public string? NmsRule { get; init; }
}
