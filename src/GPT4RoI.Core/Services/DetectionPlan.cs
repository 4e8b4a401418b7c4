using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Services;

/// <summary>Which detections a description uses: the caller's minimum score, the minimum box side and the region limit
/// every box is held to, and in the one-turn modes the model's own filter (score, normalised side, count, fallback),
/// applied after the detector's post-processing as the official code did.</summary>
public static class DetectionPlan
{
    /// <summary>Detections narrower or lower than this many pixels are left out (default of <see cref="Select"/>).</summary>
    public const double DefaultMinBoxSide = 2.0;

    /// <summary>Selects the detections to describe, in detection order; returns them and how many were left out.</summary>
    /// <param name="detections">The detector's result, score descending.</param>
    /// <param name="spec">The model's detection prompt (null: per region).</param>
    /// <param name="width">Image width (EXIF-oriented).</param>
    /// <param name="height">Image height.</param>
    /// <param name="minScore">Caller's minimum score (strictly above), or null.</param>
    /// <param name="maxRegions">The region limit of one conversation (<see cref="BoxPolicy.MaxRegions"/>).</param>
    /// <param name="minBoxSide">Minimum box width and height in pixels.</param>
    public static (List<DetectedObject> Selected, int Skipped) Select(IReadOnlyList<DetectedObject> detections, DetectionPromptSpec? spec,
        int width, int height, double? minScore, int maxRegions, double minBoxSide = DefaultMinBoxSide)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var usable = detections.Where(d => (minScore is not { } s || d.Score > s) &&
                                           d.Box.X2 - d.Box.X1 >= minBoxSide && d.Box.Y2 - d.Box.Y1 >= minBoxSide).ToList();
        var selected = usable;
        if (spec is { IsOneTurn: true })
        {
            var threshold = spec.ScoreThreshold;
            var side = spec.MinBoxSideNormalized ?? 0;
            selected = usable.Where(d => (threshold is not { } t || d.Score > t) &&
                                         (d.Box.X2 - d.Box.X1) / width > side && (d.Box.Y2 - d.Box.Y1) / height > side).ToList();
            if (spec.MaxRegions is { } max && selected.Count > max)
            {
                selected = selected[..max];
            }

            if (selected.Count == 0 && spec.FallbackFirst is { } first)
            {
                selected = usable.Take(first).ToList();
            }
        }

        if (selected.Count > maxRegions)
        {
            selected = selected[..maxRegions];
        }

        return (selected, detections.Count - selected.Count);
    }

    /// <summary>The first turn's image intro of a one-turn mode: the spec's intro with its regions placeholder replaced by
    /// one region text per detection (<c>{class_name}</c> = its label), joined by the separator.</summary>
    public static string OneTurnIntro(DetectionPromptSpec spec, IReadOnlyList<DetectedObject> selected)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(selected);
        var regions = string.Join(spec.RegionSeparator, selected.Select(d => spec.RegionText!.Replace("{class_name}", d.Label, StringComparison.Ordinal)));
        return spec.ImageIntro!.Replace(spec.RegionsPlaceholder!, regions, StringComparison.Ordinal);
    }
}
