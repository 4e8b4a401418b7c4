using GPT4RoI.Core.Errors;

namespace GPT4RoI.ModelTools;

/// <summary>A parity check that cannot run: a bad spec, a missing file, a name mismatch
/// (<see cref="ErrorCode.InvalidRequest"/>, exit code 2).</summary>
public sealed class ParityInputException : Gpt4RoIException
{
    /// <summary>Creates the exception.</summary>
    public ParityInputException(string message)
        : base(ErrorCode.InvalidRequest, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ParityInputException(string message, Exception innerException)
        : base(ErrorCode.InvalidRequest, message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ParityInputException()
        : this("the parity check cannot run")
    {
    }
}
