namespace GPT4RoI.Core.Text;

/// <summary>
/// A user question (or region list) that the model must not see: a reserved token or the turn separator typed by the
/// user, a <c>&lt;regionN&gt;</c> tag that names no region, a count mismatch between new tags and new boxes, or a limit
/// exceeded. The message says what is wrong and is safe to show to the user.
/// </summary>
public sealed class PromptException : Exception
{
    public PromptException()
    {
    }

    public PromptException(string message)
        : base(message)
    {
    }

    public PromptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
