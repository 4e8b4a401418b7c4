using System.Text;

namespace GPT4RoI.Core.Text;

/// <summary>
/// String helpers with the semantics of the Python reference (models/gpt4roi_ref/prompt.py), where they differ from .NET's.
/// </summary>
internal static class PythonText
{
    /// <summary>
    /// Python's <c>str.isspace()</c>: the characters <c>str.strip()</c>, <c>lstrip()</c> and <c>rstrip()</c> remove.
    /// Unlike <see cref="char.IsWhiteSpace(char)"/> it includes U+001C..U+001F (file, group, record and unit separators).
    /// All of them are in the BMP.
    /// </summary>
    public static bool IsWhiteSpace(char c) => c switch
    {
        >= '\u0009' and <= '\u000D' => true,
        >= '\u001C' and <= '\u0020' => true,
        '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' => true,
        '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    /// <summary>Python <c>str.lstrip()</c>.</summary>
    public static ReadOnlySpan<char> TrimStart(ReadOnlySpan<char> s)
    {
        var i = 0;
        while (i < s.Length && IsWhiteSpace(s[i]))
        {
            i++;
        }

        return s[i..];
    }

    /// <summary>Python <c>str.rstrip()</c>.</summary>
    public static ReadOnlySpan<char> TrimEnd(ReadOnlySpan<char> s)
    {
        var n = s.Length;
        while (n > 0 && IsWhiteSpace(s[n - 1]))
        {
            n--;
        }

        return s[..n];
    }

    /// <summary>Python <c>str.strip()</c>.</summary>
    public static ReadOnlySpan<char> Trim(ReadOnlySpan<char> s) => TrimEnd(TrimStart(s));

    /// <summary>Python <c>len(str)</c>: the number of code points (a surrogate pair counts once, a lone surrogate once).</summary>
    public static int CodePointCount(ReadOnlySpan<char> s)
    {
        var count = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }

            count++;
        }

        return count;
    }

    /// <summary>Python's <c>repr</c> of a list of ints, e.g. <c>[1, 2]</c>.</summary>
    public static string ListRepr(IEnumerable<int> values)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var v in values)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            sb.Append(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            first = false;
        }

        return sb.Append(']').ToString();
    }
}
