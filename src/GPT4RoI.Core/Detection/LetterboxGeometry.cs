using System.Globalization;

namespace GPT4RoI.Core.Detection;

/// <summary>Where an image of <see cref="Width"/>×<see cref="Height"/> (EXIF-oriented) sits in the detector's
/// <see cref="Size"/>×<see cref="Size"/> input: resized to <see cref="NewWidth"/>×<see cref="NewHeight"/> with its
/// top-left corner at (<see cref="PadX"/>, <see cref="PadY"/>). In integers, so every language gets the same numbers
/// (reference: <c>detector.letterbox_geometry</c>).</summary>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Size">Detector input side S.</param>
/// <param name="NewWidth">Width of the resized picture.</param>
/// <param name="NewHeight">Height of the resized picture.</param>
/// <param name="PadX">Left padding.</param>
/// <param name="PadY">Top padding.</param>
public readonly record struct LetterboxGeometry(int Width, int Height, int Size, int NewWidth, int NewHeight, int PadX, int PadY)
{
    /// <summary>The geometry of an image: <c>letterbox</c> keeps the aspect ratio (the longer side becomes
    /// <paramref name="size"/>, the shorter <c>floor((2·short·S + long) / (2·long))</c>, at least 1, centred with the odd
    /// pixel right/bottom); <c>stretch</c> fills the square.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">The mode is neither <c>letterbox</c> nor <c>stretch</c>.</exception>
    public static LetterboxGeometry For(int width, int height, int size, string mode)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (mode == "stretch")
        {
            return new LetterboxGeometry(width, height, size, size, size, 0, 0);
        }

        if (mode != "letterbox")
        {
            throw new ArgumentException($"unknown resize mode '{mode}'", nameof(mode));
        }

        int newW, newH;
        if (width >= height)
        {
            newW = size;
            newH = (int)Math.Max(1, ((2L * height * size) + width) / (2L * width));
        }
        else
        {
            newW = (int)Math.Max(1, ((2L * width * size) + height) / (2L * height));
            newH = size;
        }

        return new LetterboxGeometry(width, height, size, newW, newH, (size - newW) / 2, (size - newH) / 2);
    }

    /// <summary>An input-pixel x (of the S×S input) in image pixels, not clipped: <c>(x' − pad_x) · width / new_w</c>.</summary>
    public double ToImageX(double x) => (x - PadX) * Width / NewWidth;

    /// <summary>An input-pixel y in image pixels, not clipped: <c>(y' − pad_y) · height / new_h</c>.</summary>
    public double ToImageY(double y) => (y - PadY) * Height / NewHeight;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Width}x{Height} -> {NewWidth}x{NewHeight} at ({PadX}, {PadY}) in {Size}x{Size}");
}
