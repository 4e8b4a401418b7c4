using System.Text;

namespace GPT4RoI.Core.Text;

/// <summary>
/// The visible answer of a streaming generation, told as deltas: what <see cref="AnswerText.Clean"/> would show, told
/// without re-cleaning the whole text per token. Text that could still turn into a stop string or a
/// <see cref="PromptTemplate.StripFromAnswer"/> string (<c>Assistant:</c>) is held back; leading whitespace is dropped
/// and trailing whitespace is held until something follows it. The final answer is always
/// <see cref="AnswerText.Clean"/>'s; the deltas add up to it except where removing a strip string would make a new
/// one appear (a text no model emits). Not thread-safe: one per generation.
/// </summary>
internal sealed class AnswerStream(PromptTemplate template)
{
    private readonly StopDetector _stops = new(template.StopStrings);
    private readonly string[] _strip = [.. template.StripFromAnswer.Where(s => s.Length > 0).OrderByDescending(s => s.Length)];
    private readonly StringBuilder _delta = new(32);
    private readonly StringBuilder _pendingSpace = new(8);
    private int _scanned;
    private bool _started;

    /// <summary>The text <paramref name="generated"/> (everything generated so far) adds to the visible answer;
    /// "" when nothing new can be shown yet.</summary>
    public string Next(ReadOnlySpan<char> generated)
    {
        var stable = generated[.._stops.StableLength(generated)];
        var i = _scanned;
        while (i < stable.Length)
        {
            var rest = stable[i..];
            var strip = MatchStrip(rest, out var partial);
            if (strip > 0)
            {
                i += strip;
                continue;
            }

            if (partial)
            {
                // Could still become "Assistant:": wait for more text.
                break;
            }

            var c = rest[0];
            if (PythonText.IsWhiteSpace(c))
            {
                if (_started)
                {
                    _pendingSpace.Append(c);
                }
            }
            else
            {
                _started = true;
                _delta.Append(_pendingSpace).Append(c);
                _pendingSpace.Clear();
            }

            i++;
        }

        _scanned = i;
        if (_delta.Length == 0)
        {
            return "";
        }

        var text = _delta.ToString();
        _delta.Clear();
        return text;
    }

    /// <summary>The length of a strip string at the start of <paramref name="rest"/>, or 0; <paramref name="partial"/>
    /// when <paramref name="rest"/> is a proper prefix of one (the rest of it may still come).</summary>
    private int MatchStrip(ReadOnlySpan<char> rest, out bool partial)
    {
        partial = false;
        foreach (var s in _strip)
        {
            if (rest.StartsWith(s, StringComparison.Ordinal))
            {
                return s.Length;
            }

            if (rest.Length < s.Length && s.AsSpan().StartsWith(rest, StringComparison.Ordinal))
            {
                partial = true;
            }
        }

        return 0;
    }
}
