namespace GPT4RoI.Core.Errors;

/// <summary>
/// A failure a user can act on: what was wrong (<see cref="Code"/>) and a message that names the input and the
/// reason, safe to show to the caller. Every input error of the engine, the services and the hosts derives from
/// this type; anything else that escapes is a bug or an outage (<see cref="ErrorCode.Internal"/>).
/// </summary>
public class Gpt4RoIException : Exception
{
    /// <summary>Creates an error with a code and a message (and the exception that caused it, kept as inner).</summary>
    public Gpt4RoIException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidRequest"/> error.</summary>
    public Gpt4RoIException()
        : this(ErrorCode.InvalidRequest, "invalid request")
    {
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidRequest"/> error with a message.</summary>
    public Gpt4RoIException(string message)
        : this(ErrorCode.InvalidRequest, message)
    {
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidRequest"/> error with a message and its cause.</summary>
    public Gpt4RoIException(string message, Exception innerException)
        : this(ErrorCode.InvalidRequest, message, innerException)
    {
    }

    /// <summary>What kind of failure this is.</summary>
    public ErrorCode Code { get; }

    /// <summary>For <see cref="ErrorCode.Busy"/>: how long the caller should wait before trying again.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
