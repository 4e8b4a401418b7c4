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

/// <summary>An image input was rejected; the message names the input and the reason.</summary>
public sealed class ImageInputException : Exception
{
    /// <summary>Creates an exception for an input.</summary>
    public ImageInputException(string inputName, ImageInputReason reason, string detail, Exception? innerException = null)
        : base($"{inputName}: {detail}", innerException)
    {
        InputName = inputName;
        Reason = reason;
    }

    /// <summary>Creates an exception with a message only (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException()
        : this("image", ImageInputReason.Corrupt, "invalid image")
    {
    }

    /// <summary>Creates an exception with a message only (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException(string message)
        : base(message)
    {
        InputName = "image";
        Reason = ImageInputReason.Corrupt;
    }

    /// <summary>Creates an exception with a message and cause (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        InputName = "image";
        Reason = ImageInputReason.Corrupt;
    }

    /// <summary>Name of the rejected input (e.g. its file name).</summary>
    public string InputName { get; }

    /// <summary>Why it was rejected.</summary>
    public ImageInputReason Reason { get; }
}
