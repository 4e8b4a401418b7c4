using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Imaging;

/// <summary>An image input was rejected; the message names the input and the reason. The code follows the reason:
/// <see cref="ErrorCode.UnsupportedImage"/> for an unknown format, <see cref="ErrorCode.LimitExceeded"/> for bytes,
/// pixels or decode memory over a limit, <see cref="ErrorCode.InvalidImage"/> otherwise.</summary>
public sealed class ImageInputException : Gpt4RoIException
{
    /// <summary>Creates an exception for an input.</summary>
    public ImageInputException(string inputName, ImageInputReason reason, string detail, Exception? innerException = null)
        : base(CodeOf(reason), $"{inputName}: {detail}", innerException)
    {
        InputName = inputName;
        Reason = reason;
    }

    /// <summary>Creates an exception with a generic message (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException()
        : this("image", ImageInputReason.Corrupt, "invalid image")
    {
    }

    /// <summary>Creates an exception with a message only (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException(string message)
        : base(ErrorCode.InvalidImage, message)
    {
        InputName = "image";
        Reason = ImageInputReason.Corrupt;
    }

    /// <summary>Creates an exception with a message and cause (reason <see cref="ImageInputReason.Corrupt"/>).</summary>
    public ImageInputException(string message, Exception innerException)
        : base(ErrorCode.InvalidImage, message, innerException)
    {
        InputName = "image";
        Reason = ImageInputReason.Corrupt;
    }

    /// <summary>Name of the rejected input (e.g. its file name).</summary>
    public string InputName { get; }

    /// <summary>Why it was rejected.</summary>
    public ImageInputReason Reason { get; }

    private static ErrorCode CodeOf(ImageInputReason reason) => reason switch
    {
        ImageInputReason.UnsupportedFormat => ErrorCode.UnsupportedImage,
        ImageInputReason.TooLarge or ImageInputReason.TooManyPixels => ErrorCode.LimitExceeded,
        _ => ErrorCode.InvalidImage,
    };
}
