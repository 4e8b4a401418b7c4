namespace GPT4RoI.Core.Detection;

/// <summary>The decode and NMS settings one detection runs with: the manifest's <c>postprocess</c>, optionally with
/// a caller's stricter score threshold.</summary>
public sealed record DetectionSettings
{
    /// <summary>Candidates entering NMS at most when the manifest gives no <c>max_candidates</c>.</summary>
    public const int DefaultMaxCandidates = 3000;

    /// <summary>A detection needs score &gt; this (strictly).</summary>
    public required double ScoreThreshold { get; init; }

    /// <summary>Same-class IoU above which a box is suppressed (strictly); null: no NMS.</summary>
    public double? NmsIouThreshold { get; init; }

    /// <summary>Most detections kept.</summary>
    public required int MaxDetections { get; init; }

    /// <summary>Most candidates, best scores first, that enter NMS; the rest are dropped before it.</summary>
    public int MaxCandidates { get; init; } = DefaultMaxCandidates;

    /// <summary>The settings a manifest's <c>postprocess</c> gives.</summary>
    public static DetectionSettings From(DetectorPostprocessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new DetectionSettings
        {
            ScoreThreshold = spec.ScoreThreshold,
            NmsIouThreshold = spec.Nms == "class_aware" ? spec.NmsIouThreshold : null,
            MaxDetections = spec.MaxDetections,
            MaxCandidates = spec.MaxCandidates ?? DefaultMaxCandidates,
        };
    }
}
