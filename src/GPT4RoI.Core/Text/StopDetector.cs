namespace GPT4RoI.Core.Text;

/// <summary>
/// Finds stop strings (<see cref="PromptTemplate.StopStrings"/>) in decoded text during generation.
/// Immutable; safe for concurrent use.
/// </summary>
public sealed class StopDetector
{
    private readonly string[] _stops;

    /// <summary>Creates a detector for <paramref name="stopStrings"/> (none may be empty).</summary>
    public StopDetector(IEnumerable<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stops = [.. stopStrings];
        if (_stops.Length == 0 || _stops.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Stop strings must be non-empty, and there must be at least one.", nameof(stopStrings));
        }

        MaxLength = _stops.Max(s => s.Length);
    }

    /// <summary>The stop strings.</summary>
    public IReadOnlyList<string> StopStrings => _stops;

    /// <summary>Length of the longest stop string.</summary>
    public int MaxLength { get; }

    /// <summary>Whether a stop string appears in <paramref name="text"/>.</summary>
    public bool IsStopped(ReadOnlySpan<char> text) => IndexOf(text) >= 0;

    /// <summary>
    /// Index of the earliest stop string in <paramref name="text"/>, or -1. <paramref name="searchFrom"/> lets a caller
    /// that appends text only rescan the tail: pass <c>max(0, previousLength - MaxLength + 1)</c>.
    /// </summary>
    public int IndexOf(ReadOnlySpan<char> text, int searchFrom = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(searchFrom);
        if (searchFrom >= text.Length)
        {
            return -1;
        }

        var i = IndexOfAny(text[searchFrom..], _stops);
        return i < 0 ? -1 : i + searchFrom;
    }

    /// <summary>
    /// How much of <paramref name="text"/> can be shown while streaming: up to the first stop string if there is one,
    /// otherwise all of it except a tail that could still become a stop string (a proper prefix of one).
    /// </summary>
    public int StableLength(ReadOnlySpan<char> text)
    {
        var stop = IndexOf(text);
        if (stop >= 0)
        {
            return stop;
        }

        for (var keep = Math.Min(MaxLength - 1, text.Length); keep > 0; keep--)
        {
            var tail = text[^keep..];
            foreach (var s in _stops)
            {
                if (s.Length > keep && s.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    return text.Length - keep;
                }
            }
        }

        return text.Length;
    }

    internal static int IndexOfAny(ReadOnlySpan<char> text, IReadOnlyList<string> stops)
    {
        var best = -1;
        foreach (var s in stops)
        {
            if (string.IsNullOrEmpty(s))
            {
                continue;
            }

            var limit = best < 0 ? text : text[..Math.Min(text.Length, best + s.Length - 1)];
            var i = limit.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best))
            {
                best = i;
            }
        }

        return best;
    }
}
