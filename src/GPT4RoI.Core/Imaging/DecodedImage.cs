using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Imaging;

/// <summary>A decoded, EXIF-oriented RGB image; owns <see cref="Image"/>.</summary>
public sealed class DecodedImage : IDisposable
{
    internal DecodedImage(Image<Rgb24> image, string format, string sha256)
    {
        Image = image;
        Format = format;
        Sha256 = sha256;
    }

    /// <summary>The pixels, after EXIF orientation.</summary>
    public Image<Rgb24> Image { get; }

    /// <summary>Width after EXIF orientation.</summary>
    public int Width => Image.Width;

    /// <summary>Height after EXIF orientation.</summary>
    public int Height => Image.Height;

    /// <summary>Format of the encoded bytes: "jpeg", "png", "webp", "bmp" or "gif".</summary>
    public string Format { get; }

    /// <summary>SHA-256 of the encoded bytes, lowercase hex (a cache key).</summary>
    public string Sha256 { get; }

    /// <inheritdoc />
    public void Dispose() => Image.Dispose();
}
