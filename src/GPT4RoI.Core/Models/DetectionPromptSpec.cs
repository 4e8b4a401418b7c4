namespace GPT4RoI.Core.Models;

/// <summary>
/// How detected regions enter the prompt (manifest <c>detection_prompt</c>, optional; absent means
/// <see cref="PerRegion"/>). A property of how the model was trained: see docs/model-format.md, "Prompts for detected
/// regions", for the official code each mode follows.
/// </summary>
public sealed record DetectionPromptSpec
{
    /// <summary>One conversation per detected box, the question naming it <c>&lt;region1&gt;</c> (the tiny model).</summary>
    public const string PerRegion = "per_region";

    /// <summary>All boxes in one first turn, one unnamed region token each (the official <c>cli_demo.py</c>).</summary>
    public const string OfficialCliDemo = "official_cli_demo";

    /// <summary>All boxes in one first turn with their class names (the official <c>det_llava.py</c> training data).</summary>
    public const string DetLlava = "det_llava";

    /// <summary><see cref="PerRegion"/>, <see cref="OfficialCliDemo"/> or <see cref="DetLlava"/> (JSON <c>mode</c>).</summary>
    public required string Mode { get; init; }

    /// <summary>The default question: per region it names the box <c>&lt;region1&gt;</c>; in the one-turn modes it
    /// follows the image intro (JSON <c>question</c>).</summary>
    public string? Question { get; init; }

    /// <summary>One-turn modes: replaces <c>prompt.image_intro</c> in the first turn; holds the image placeholder and
    /// <see cref="RegionsPlaceholder"/> (JSON <c>image_intro</c>).</summary>
    public string? ImageIntro { get; init; }

    /// <summary>One-turn modes: the text in <see cref="ImageIntro"/> replaced by the regions, e.g.
    /// <c>&lt;spi_descript&gt;</c> (JSON <c>regions_placeholder</c>).</summary>
    public string? RegionsPlaceholder { get; init; }

    /// <summary>One-turn modes: the text of one region; holds the region token once; <c>{class_name}</c> is the
    /// detection's label (JSON <c>region_text</c>).</summary>
    public string? RegionText { get; init; }

    /// <summary>One-turn modes: between two region texts (JSON <c>region_separator</c>).</summary>
    public string RegionSeparator { get; init; } = "";

    /// <summary>A region needs a detector score above this (strictly), on top of the detector's own threshold
    /// (JSON <c>score_threshold</c>).</summary>
    public double? ScoreThreshold { get; init; }

    /// <summary>Most regions in the prompt (JSON <c>max_regions</c>); also bounded by the conversation's region limit.</summary>
    public int? MaxRegions { get; init; }

    /// <summary>Boxes whose width or height, divided by the image's, is not above this are left out
    /// (JSON <c>min_box_side_normalized</c>).</summary>
    public double? MinBoxSideNormalized { get; init; }

    /// <summary>When the filter leaves nothing, the first this many detections are used unfiltered (JSON <c>fallback_first</c>).</summary>
    public int? FallbackFirst { get; init; }

    /// <summary>True for the modes that put every box in one turn.</summary>
    public bool IsOneTurn => Mode is OfficialCliDemo or DetLlava;
}
