using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Text;

/// <summary>
/// A user question (or region list) that the model must not see: a reserved token or the turn separator typed by the
/// user, a <c>&lt;regionN&gt;</c> tag that names no region, a count mismatch between new tags and new boxes, or a limit
/// exceeded. The message says what is wrong and is safe to show to the user (<see cref="ErrorCode.InvalidQuestion"/>,
/// or <see cref="ErrorCode.LimitExceeded"/> for length and count limits).
/// </summary>
public sealed class PromptException : Gpt4RoIException
{
    /// <summary>Creates an error with a code and a message.</summary>
    public PromptException(ErrorCode code, string message)
        : base(code, message)
    {
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidQuestion"/> error.</summary>
    public PromptException(string message)
        : base(ErrorCode.InvalidQuestion, message)
    {
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidQuestion"/> error with its cause.</summary>
    public PromptException(string message, Exception innerException)
        : base(ErrorCode.InvalidQuestion, message, innerException)
    {
    }

    /// <summary>Creates an <see cref="ErrorCode.InvalidQuestion"/> error with a generic message.</summary>
    public PromptException()
        : this("invalid question")
    {
    }
}
