namespace GPT4RoI.Fuzz;

/// <summary>
/// One fuzzing target: feeds an input to the code under test. An exception of an expected type is the code
/// refusing bad input the documented way; any other exception, or a broken invariant (<see cref="FuzzInvariantException"/>),
/// is a finding.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The target's name on the command line and its corpus folder under fuzz/corpus.</summary>
    public abstract string Name { get; }

    /// <summary>What the target exercises, for the listing.</summary>
    public abstract string Description { get; }

    /// <summary>Byte strings the mutator inserts or overwrites with (tokens of the input's grammar).</summary>
    public virtual IReadOnlyList<byte[]> Dictionary => [];

    /// <summary>Largest input the mutator makes for this target.</summary>
    public virtual int MaxInputBytes => 64 * 1024;

    /// <summary>Runs the code under test on one input.</summary>
    public abstract void Run(ReadOnlySpan<byte> data);

    /// <summary>Whether the exception is the documented refusal of bad input.</summary>
    public abstract bool IsExpected(Exception exception);

    /// <summary>
    /// Runs one input and classifies the outcome: <c>Unexpected</c> is null when the code accepted the input or refused
    /// it the documented way; <c>Outcome</c> names what happened ("ok", or the exception type and its message with
    /// numbers and quoted parts left out), so inputs that reach a new refusal can be kept for further mutation.
    /// </summary>
    public (Exception? Unexpected, string Outcome) Execute(ReadOnlySpan<byte> data)
    {
        try
        {
            Run(data);
            return (null, "ok");
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            return (null, OutcomeOf(ex));
        }
#pragma warning disable CA1031 // Every other exception is the finding itself.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return (ex, OutcomeOf(ex));
        }
    }

    /// <summary>The exception's type and message shape: digits and quoted parts dropped, at most 100 characters.</summary>
    internal static string OutcomeOf(Exception ex)
    {
        var message = ex.Message;
        var shape = new System.Text.StringBuilder(ex.GetType().Name).Append(':');
        var quoted = false;
        foreach (var c in message)
        {
            if (c is '\'' or '"')
            {
                quoted = !quoted;
                continue;
            }

            if (!quoted && !char.IsDigit(c))
            {
                shape.Append(c);
            }

            if (shape.Length >= 100)
            {
                break;
            }
        }

        return shape.ToString();
    }

    protected static byte[][] Tokens(params string[] tokens) => [.. tokens.Select(System.Text.Encoding.UTF8.GetBytes)];
}
