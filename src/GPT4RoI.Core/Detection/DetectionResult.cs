namespace GPT4RoI.Core.Detection;

/// <summary>What a detection run found: the detections (score descending) and how they were found. No detection is a
/// valid result, not an error.</summary>
public sealed record DetectionResult
{
    /// <summary>The kept detections, score descending (ties: lower anchor first); may be empty.</summary>
    public required IReadOnlyList<DetectedObject> Detections { get; init; }

    /// <summary>Where the image sat in the detector input.</summary>
    public required LetterboxGeometry Geometry { get; init; }

    /// <summary>Anchors (rows) whose score passed the threshold with a finite box, before the cap and NMS.</summary>
    public required int Candidates { get; init; }

    /// <summary>Candidates dropped by the <see cref="DetectionSettings.MaxCandidates"/> cap before NMS.</summary>
    public int CappedCandidates { get; init; }

    /// <summary>Score values that were NaN and were ignored (a NaN never wins and never passes).</summary>
    public int NaNScores { get; init; }

    /// <summary>Milliseconds spent in preprocessing, the graph and post-processing (0 when not measured).</summary>
    public IReadOnlyDictionary<string, double> TimingsMs { get; init; } = new Dictionary<string, double>();
}
