using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Detection;

/// <summary>A detector folder that fails validation, or a detector graph whose output does not match its manifest; the
/// message names the file, field or tensor (<see cref="ErrorCode.DetectorError"/>).</summary>
public sealed class DetectorException : Gpt4RoIException
{
    /// <summary>Creates an error naming what is wrong with the detector.</summary>
    public DetectorException(string message)
        : base(ErrorCode.DetectorError, message)
    {
    }

    /// <summary>Creates an error naming what is wrong with the detector, with its cause.</summary>
    public DetectorException(string message, Exception innerException)
        : base(ErrorCode.DetectorError, message, innerException)
    {
    }

    /// <summary>Creates an error with a generic message.</summary>
    public DetectorException()
        : this("the detector folder is not valid")
    {
    }
}
