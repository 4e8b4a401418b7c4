namespace GPT4RoI.Core.Errors;

/// <summary>
/// The exit codes of both command lines (<c>gpt4roi</c> and <c>gpt4roi-modeltools</c>), as README.md lists them.
/// <see cref="For(ErrorCode)"/> is the one mapping from an error code to an exit code.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command line itself is wrong: unknown command or option, missing or malformed argument.</summary>
    public const int Usage = 1;

    /// <summary>An input was rejected: image, box, question, manifest, file (the message names it and why).</summary>
    public const int InvalidInput = 2;

    /// <summary>The model folder (or the detector folder) is missing or fails validation.</summary>
    public const int ModelError = 3;

    /// <summary>Some items failed while the rest succeeded: batch manifests (an error JSON was written for each),
    /// parity outputs out of tolerance, a shapes evaluation below its agreement bound.</summary>
    public const int Failed = 4;

    /// <summary>An unexpected internal error (a bug); the message and stack trace go to standard error.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>The exit code for a failure with <paramref name="code"/>.</summary>
    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.ModelError => ModelError,
        ErrorCode.DetectorError => ModelError,
        ErrorCode.Internal => InternalError,
        ErrorCode.FailedAfterRetries => Failed,
        ErrorCode.ResultConflict => Failed,
        _ => InvalidInput,
    };
}
