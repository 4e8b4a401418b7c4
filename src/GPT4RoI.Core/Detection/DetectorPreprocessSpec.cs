namespace GPT4RoI.Core.Detection;

/// <summary>How an image becomes the detector's input (manifest <c>preprocess</c>; docs/model-format.md, "Detector
/// preprocessing"): EXIF orientation, letterbox or stretch to <see cref="Size"/>, bilinear resize, padding with
/// <see cref="PadValue"/>, scale, mean and std.</summary>
public sealed record DetectorPreprocessSpec
{
    /// <summary>Channel order, <c>RGB</c> (JSON <c>color</c>).</summary>
    public required string Color { get; init; }

    /// <summary>Whether the image is turned by its EXIF orientation first; must be true (JSON <c>apply_exif_orientation</c>).</summary>
    public required bool ApplyExifOrientation { get; init; }

    /// <summary>Input size <c>[S, S]</c> (JSON <c>size</c>).</summary>
    public required int[] Size { get; init; }

    /// <summary><c>letterbox</c> or <c>stretch</c> (JSON <c>resize_mode</c>).</summary>
    public required string ResizeMode { get; init; }

    /// <summary>Canvas value outside the picture, in 0..255 units before scaling (JSON <c>pad_value</c>).</summary>
    public double PadValue { get; init; }

    /// <summary>Factor from 0..255 to [0, 1]; must be 1/255 (JSON <c>scale</c>).</summary>
    public required double Scale { get; init; }

    /// <summary>Per-channel mean subtracted after scaling; 3 values (JSON <c>mean</c>).</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after the mean; 3 values &gt; 0 (JSON <c>std</c>).</summary>
    public required float[] Std { get; init; }

    /// <summary>Tensor layout, <c>NCHW</c> (JSON <c>layout</c>).</summary>
    public required string Layout { get; init; }

    /// <summary>The interpolation in words; informative (JSON <c>interpolation</c>).</summary>
    public string? Interpolation { get; init; }

    /// <summary>The letterbox rule in words; informative (JSON <c>letterbox_rule</c>).</summary>
    public string? LetterboxRule { get; init; }

    /// <summary>The box mapping in words; informative (JSON <c>box_mapping</c>).</summary>
    public string? BoxMapping { get; init; }
}
