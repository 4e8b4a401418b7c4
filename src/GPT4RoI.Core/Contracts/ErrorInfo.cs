using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Contracts;

/// <summary>An error in a result: what kind (<c>"code": "invalid_image"</c>) and why, in words that name the input.</summary>
public sealed record ErrorInfo(ErrorCode Code, string Message)
{
    /// <summary>The error of a user-facing failure.</summary>
    public static ErrorInfo From(Gpt4RoIException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new ErrorInfo(exception.Code, exception.Message);
    }
}
