namespace GPT4RoI.Core.Models;

/// <summary>How an image becomes the vision graph's input (manifest <c>preprocess</c>): decode, orient, resize to
/// <see cref="Resize"/>, multiply by <see cref="Scale"/>, then (x − mean) / std per channel.</summary>
public sealed record PreprocessSpec
{
    /// <summary>Channel order of the input tensor, <c>RGB</c> (JSON <c>color</c>).</summary>
    public required string Color { get; init; }

    /// <summary>Whether the image is turned by its EXIF orientation first; boxes then refer to the image as displayed
    /// (JSON <c>apply_exif_orientation</c>).</summary>
    public required bool ApplyExifOrientation { get; init; }

    /// <summary>Input size <c>[height, width]</c> in pixels; must be <c>[image_size, image_size]</c> (JSON <c>resize</c>).</summary>
    public required int[] Resize { get; init; }

    /// <summary>Factor from 0–255 pixel values to [0, 1]: 1/255 (JSON <c>scale</c>).</summary>
    public required double Scale { get; init; }

    /// <summary>Per-channel mean (R, G, B) subtracted after scaling, CLIP's for GPT4RoI; 3 values (JSON <c>mean</c>).</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation (R, G, B) divided by after the mean; 3 values, all &gt; 0 (JSON <c>std</c>).</summary>
    public required float[] Std { get; init; }

    /// <summary>Tensor layout of the vision input, <c>NCHW</c> (JSON <c>layout</c>).</summary>
    public required string Layout { get; init; }
    /// <summary><c>stretch_bilinear</c> (default when absent) or <c>clip_processor_stretch</c> (docs/model-format.md).</summary>
    public string? Mode { get; init; }
    /// <summary>A human-readable description of the resize (JSON <c>resize_mode</c>); informative only.</summary>
    public string? ResizeMode { get; init; }
}
