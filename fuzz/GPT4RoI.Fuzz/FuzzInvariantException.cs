namespace GPT4RoI.Fuzz;

/// <summary>A property the code under test must keep was broken (never an expected exception).</summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
