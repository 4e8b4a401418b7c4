namespace GPT4RoI.Core.Imaging;

/// <summary>Why an image input was rejected.</summary>
public enum ImageInputReason
{
    /// <summary>No bytes were given.</summary>
    Empty,

    /// <summary>The encoded bytes, or the memory needed to decode them, exceed the limits.</summary>
    TooLarge,

    /// <summary>Not an image in a supported format (JPEG, PNG, WebP, BMP, GIF), or a feature of it is unsupported.</summary>
    UnsupportedFormat,

    /// <summary>The image data is damaged or truncated.</summary>
    Corrupt,

    /// <summary>The image's dimensions exceed the pixel or side limits.</summary>
    TooManyPixels,
}
