using GPT4RoI.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Detection;

/// <summary>
/// The detector's input tensor from a decoded (EXIF-oriented) image, like <c>detector.preprocess_rgb</c>: the canvas is
/// filled with the pad value, the whole picture is resized to the letterbox size with the GPT4RoI bilinear resize
/// (<see cref="ImagePreprocessor"/>: half-pixel centres, no antialias, float32) and placed at the pad offset, then every
/// value is divided by 255 (and (x − mean) / std). Scratch buffers are pooled; nothing is allocated per pixel.
/// </summary>
public static class DetectorPreprocessor
{
    /// <summary>Writes [3, S, S] planar floats into <paramref name="destination"/> and returns the geometry.</summary>
    /// <exception cref="ArgumentException">The destination does not hold 3·S·S floats.</exception>
    public static LetterboxGeometry Write(Image<Rgb24> image, DetectorPreprocessSpec spec, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(spec);
        var size = spec.Size[0];
        var plane = size * size;
        if (destination.Length != 3 * plane)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; [3, {size}, {size}] needs {3 * plane}", nameof(destination));
        }

        var g = LetterboxGeometry.For(image.Width, image.Height, size, spec.ResizeMode);
        var pad = (float)spec.PadValue;
        for (var c = 0; c < 3; c++)
        {
            destination.Slice(c * plane, plane).Fill(((pad / 255f) - spec.Mean[c]) / spec.Std[c]);
        }

        ImagePreprocessor.WriteResized(image, g.NewWidth, g.NewHeight, destination, size, size, g.PadX, g.PadY, spec.Mean, spec.Std);
        return g;
    }
}
