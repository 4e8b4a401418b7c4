using System.Globalization;
using System.Numerics;
using System.Text;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Text;

/// <summary>
/// The state of one multi-turn GPT4RoI request, mirroring prompt.py's <c>Conversation</c>: boxes accumulate over turns
/// and are numbered in the order they were given; a question names them with <c>&lt;regionN&gt;</c> tags. The first
/// mention of a region becomes <c>regionN &lt;bbox&gt;</c> (the <c>&lt;bbox&gt;</c> embedding is replaced by that
/// region's embedding), later mentions the bare <c>regionN</c>.
/// <para>Per-request state: <b>not thread-safe</b>. Use one instance per conversation from one thread at a time.</para>
/// <para>Every method validates first and changes nothing when it throws.</para>
/// </summary>
public sealed class Conversation
{
    private const string RegionTagStart = "<region";

    private readonly List<ConversationTurn> _turns = [];
    private readonly HashSet<int> _named = [];
    private readonly List<int> _bboxRegions = [];
    private (int BoxCount, int BboxCount, List<int> Named)? _undo;
    private string? _firstIntro;

    /// <summary>Creates an empty conversation.</summary>
    public Conversation(PromptTemplate template, PromptLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        Limits = limits ?? PromptLimits.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(Limits.MaxQuestionChars);
        ArgumentOutOfRangeException.ThrowIfNegative(Limits.MaxRegions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Limits.MaxTurns);
    }

    /// <summary>The prompt strings.</summary>
    public PromptTemplate Template { get; }

    /// <summary>The input limits.</summary>
    public PromptLimits Limits { get; }

    /// <summary>The turns so far.</summary>
    public IReadOnlyList<ConversationTurn> Turns => _turns;

    /// <summary>
    /// The region index (0-based, into the boxes in the order given) of each <c>&lt;bbox&gt;</c> in prompt order: region
    /// embeddings are spliced in this order, so a question that names <c>&lt;region2&gt;</c> before <c>&lt;region1&gt;</c>
    /// still gets each box's own embedding.
    /// </summary>
    public IReadOnlyList<int> BboxRegions => _bboxRegions;

    /// <summary>Number of boxes (regions) given so far.</summary>
    public int BoxCount { get; private set; }

    /// <summary>
    /// Validates and adds a question that brings <paramref name="newBoxCount"/> new boxes, numbered on from the boxes
    /// given before; returns the expanded question.
    /// </summary>
    /// <exception cref="PromptException">
    /// The previous turn has no answer; too many turns; the question contains a reserved token or the turn separator,
    /// or is too long; the new <c>&lt;regionN&gt;</c> tags do not match the new boxes in count or numbering; too many
    /// regions.
    /// </exception>
    public string AddTurn(string question, int newBoxCount)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentOutOfRangeException.ThrowIfNegative(newBoxCount);
        if (_turns.Count > 0 && _turns[^1].Answer is null)
        {
            throw new PromptException("the previous turn has no answer yet");
        }

        if (_turns.Count >= Limits.MaxTurns)
        {
            throw new PromptException(ErrorCode.LimitExceeded, $"at most {Limits.MaxTurns} turns per conversation");
        }

        CheckUserText(question);
        var rules = Template.QuestionRules;
        if (rules is { FirstTurnNeedsRegion: true } && _turns.Count == 0 && newBoxCount == 0)
        {
            throw new PromptException("the first question needs at least one region (box)");
        }

        if (FindRegionTags(question).Any(t => t.Number.IsZero) ||
            (rules is not null && FindTags(question, ShortTagParts(rules).Prefix, ShortTagParts(rules).Suffix).Any(t => t.Number.IsZero)))
        {
            throw new PromptException("regions are numbered from 1: <region0> does not exist");
        }

        if (rules is not null)
        {
            question = NormaliseQuestion(question, rules);
        }

        var tags = FindRegionTags(question);
        var anonymous = tags.Count(t => t.Number.IsZero);
        var newTags = new List<BigInteger>();
        foreach (var tag in tags)
        {
            if (!tag.Number.IsZero && !IsNamed(tag.Number) && !newTags.Contains(tag.Number))
            {
                newTags.Add(tag.Number);
            }
        }

        if (newTags.Count + anonymous != newBoxCount)
        {
            throw new PromptException(
                $"the question introduces {newTags.Count + anonymous} new <regionN> tag(s) but {newBoxCount} new box(es) were given");
        }

        if (BoxCount + newBoxCount > Limits.MaxRegions)
        {
            throw new PromptException(ErrorCode.LimitExceeded, $"at most {Limits.MaxRegions} regions per conversation");
        }

        var total = BoxCount + newBoxCount;
        var expected = Enumerable.Range(BoxCount + 1, newBoxCount).ToList();
        // Anonymous boxes take the numbers the named new tags leave free, in order (prompt.py).
        var free = expected.Where(e => !newTags.Contains(e)).ToList();
        if (anonymous > 0 && !newTags.All(n => n >= BoxCount + 1 && n <= total))
        {
            free.Clear();
        }

        var anonymousNumbers = free.Take(anonymous).ToList();
        var sorted = newTags.Concat(anonymousNumbers.Select(n => new BigInteger(n))).Order().ToList();
        if (!sorted.SequenceEqual(expected.Select(e => new BigInteger(e))))
        {
            var bad = newTags.Where(n => n < BoxCount + 1 || n > total).ToList();
            var name = bad.Count > 0 ? bad[0] : newTags[0];
            throw new PromptException(
                $"the question names <region{Format(name)}> but the regions defined are region1..region{total}; " +
                $"new regions must be numbered {PythonText.ListRepr(expected)}");
        }

        // Valid: expand and commit. Every tag number here is named or new, so it fits an int.
        _undo = (BoxCount, _bboxRegions.Count, [.. newTags.Select(t => (int)t), .. anonymousNumbers]);
        var expanded = new StringBuilder(question.Length + (16 * newBoxCount));
        var seenNow = new HashSet<int>();
        var nextAnonymous = 0;
        var pos = 0;
        foreach (var tag in tags)
        {
            var n = (int)tag.Number;
            expanded.Append(question, pos, tag.Index - pos);
            if (n == 0)
            {
                // <>: a new box without a name, only its region token.
                _bboxRegions.Add(anonymousNumbers[nextAnonymous++] - 1);
                expanded.Append(Template.RegionToken);
            }
            else
            {
                var nText = n.ToString(CultureInfo.InvariantCulture);
                if (_named.Contains(n) || !seenNow.Add(n))
                {
                    expanded.Append(Template.RegionLaterMention.Replace("{n}", nText, StringComparison.Ordinal));
                }
                else
                {
                    _bboxRegions.Add(n - 1);
                    expanded.Append(Template.RegionFirstMention.Replace("{n}", nText, StringComparison.Ordinal));
                }
            }

            pos = tag.Index + tag.Length;
        }

        expanded.Append(question, pos, question.Length - pos);
        foreach (var n in _undo.Value.Named)
        {
            _named.Add(n);
        }

        BoxCount = total;
        var text = expanded.ToString();
        _turns.Add(new ConversationTurn(question, text, null));
        return text;
    }

    /// <summary>
    /// Adds the first turn of a conversation about detected regions in a one-turn detection prompt mode (the official
    /// demo's): <paramref name="imageIntro"/> replaces the template's image intro for this conversation and carries one
    /// region token per box, in box order; the boxes are unnamed, so the question may not name <c>&lt;regionN&gt;</c>.
    /// Later turns are added with <see cref="AddTurn"/> and number any new boxes after these.
    /// </summary>
    /// <exception cref="PromptException">The conversation already has turns; the question names a region, holds a
    /// reserved token or is too long; the intro's region tokens do not match the boxes; too many regions.</exception>
    public string AddDetectionTurn(string question, string imageIntro, int boxCount)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(imageIntro);
        ArgumentOutOfRangeException.ThrowIfNegative(boxCount);
        if (_turns.Count > 0)
        {
            throw new PromptException("detected regions can only open a conversation");
        }

        CheckUserText(question);
        if (FindRegionTags(question).Count > 0)
        {
            throw new PromptException("in this detection prompt mode the detected regions are unnamed; the question may not name <regionN>");
        }

        if (boxCount > Limits.MaxRegions)
        {
            throw new PromptException(ErrorCode.LimitExceeded, $"at most {Limits.MaxRegions} regions per conversation");
        }

        var tokens = imageIntro.Split(Template.RegionToken).Length - 1;
        if (tokens != boxCount || !imageIntro.Contains(Template.ImagePlaceholder, StringComparison.Ordinal))
        {
            throw new PromptException($"the detection intro holds {tokens} {Template.RegionToken} tokens for {boxCount} regions");
        }

        _undo = (0, 0, []);
        _firstIntro = imageIntro;
        for (var i = 0; i < boxCount; i++)
        {
            _bboxRegions.Add(i);
        }

        BoxCount = boxCount;
        _turns.Add(new ConversationTurn(question, question, null));
        return question;
    }

    /// <summary>Takes back the last turn while it has no answer (its generation failed or was cancelled), so the
    /// conversation is as it was before <see cref="AddTurn"/>. Does nothing otherwise.</summary>
    public void RemoveUnansweredTurn()
    {
        if (_turns.Count == 0 || _turns[^1].Answer is not null || _undo is not { } undo)
        {
            return;
        }

        _turns.RemoveAt(_turns.Count - 1);
        _bboxRegions.RemoveRange(undo.BboxCount, _bboxRegions.Count - undo.BboxCount);
        foreach (var n in undo.Named)
        {
            _named.Remove(n);
        }

        BoxCount = undo.BoxCount;
        _undo = null;
        if (_turns.Count == 0)
        {
            _firstIntro = null;
        }
    }

    /// <summary>Sets the answer of the last turn (replacing one set before).</summary>
    /// <exception cref="InvalidOperationException">There is no turn yet.</exception>
    public void SetAnswer(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (_turns.Count == 0)
        {
            throw new InvalidOperationException("SetAnswer needs a turn: call AddTurn first.");
        }

        _turns[^1] = _turns[^1] with { Answer = answer };
    }

    /// <summary>
    /// The prompt (prompt.py's <c>build_prompt</c>, template <c>conv_v1_2</c>): system prompt and suffix, then per turn
    /// <c>### Human: {question}\n</c> (the first question preceded by the image intro with <paramref name="numPatches"/>
    /// patch tokens) and, when answered, <c>### Assistant: {answer}\n</c>; it ends with <c>### </c>.
    /// </summary>
    public string BuildPrompt(int numPatches)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numPatches);
        var t = Template;
        var sb = new StringBuilder(t.System.Length + (numPatches * t.ImagePatchToken.Length) + 256);
        sb.Append(t.System).Append(t.SystemSuffix);
        for (var i = 0; i < _turns.Count; i++)
        {
            sb.Append(t.HumanPrefix);
            if (i == 0)
            {
                sb.Append((_firstIntro ?? t.ImageIntro).Replace(t.ImagePlaceholder, t.ImageTokens(numPatches), StringComparison.Ordinal));
            }

            sb.Append(_turns[i].Expanded).Append(t.TurnSuffix);
            if (_turns[i].Answer is { } answer)
            {
                sb.Append(t.AssistantPrefix).Append(answer).Append(t.TurnSuffix);
            }
        }

        return sb.Append(t.GenerationPrefix).ToString();
    }

    private bool IsNamed(BigInteger n) => n >= 1 && n <= BoxCount && _named.Contains((int)n);

    private void CheckUserText(string text)
    {
        foreach (var token in Template.ReservedTokens)
        {
            if (!string.IsNullOrEmpty(token) && text.Contains(token, StringComparison.Ordinal))
            {
                throw new PromptException($"question contains the reserved token {token}");
            }
        }

        foreach (var stop in Template.StopStrings)
        {
            if (!string.IsNullOrEmpty(stop) && text.Contains(stop, StringComparison.Ordinal))
            {
                throw new PromptException($"question contains the turn separator '{stop}'");
            }
        }

        if (text.Length > Limits.MaxQuestionChars)
        {
            var length = PythonText.CodePointCount(text);
            if (length > Limits.MaxQuestionChars)
            {
                throw new PromptException(ErrorCode.LimitExceeded, $"question is {length} characters; the limit is {Limits.MaxQuestionChars}");
            }
        }
    }

    private static string Format(BigInteger n) => n.ToString(CultureInfo.InvariantCulture);

    private readonly record struct RegionTag(int Index, int Length, BigInteger Number);

    /// <summary>
    /// The matches of prompt.py's <c>re.compile(r"&lt;region(\d+)&gt;").findall</c>: <c>\d</c> is any Unicode decimal
    /// digit (category Nd) and the number is Python's <c>int()</c> of the digits, so <c>&lt;region01&gt;</c> is region 1.
    /// </summary>
    private static List<RegionTag> FindRegionTags(string text) => FindTags(text, RegionTagStart, ">");

    /// <summary>Matches of <paramref name="prefix"/>, one or more Unicode decimal digits, <paramref name="suffix"/>
    /// (leftmost first, not overlapping), as Python's <c>re.finditer</c> of that pattern with <c>(\d+)</c>.</summary>
    private static List<RegionTag> FindTags(string text, string prefix, string suffix)
    {
        var tags = new List<RegionTag>();
        if (prefix.Length == 0)
        {
            return tags;
        }

        var from = 0;
        while (true)
        {
            var at = text.IndexOf(prefix, from, StringComparison.Ordinal);
            if (at < 0)
            {
                return tags;
            }

            var pos = at + prefix.Length;
            var digits = new StringBuilder();
            while (pos < text.Length && Rune.DecodeFromUtf16(text.AsSpan(pos), out var rune, out var used) == System.Buffers.OperationStatus.Done &&
                   Rune.GetUnicodeCategory(rune) == UnicodeCategory.DecimalDigitNumber)
            {
                digits.Append((char)('0' + (int)Rune.GetNumericValue(rune)));
                pos += used;
            }

            if (digits.Length > 0 && text.AsSpan(pos).StartsWith(suffix, StringComparison.Ordinal))
            {
                var number = BigInteger.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
                tags.Add(new RegionTag(at, pos + suffix.Length - at, number));
                from = pos + suffix.Length;
            }
            else
            {
                from = at + 1;
            }
        }
    }

    /// <summary>The text around <c>{n}</c> in the manifest's <c>short_tag</c> (<c>&lt;</c> and <c>&gt;</c> for <c>&lt;{n}&gt;</c>).</summary>
    private static (string Prefix, string Suffix) ShortTagParts(QuestionRulesSpec rules)
    {
        var at = rules.ShortTag.IndexOf("{n}", StringComparison.Ordinal);
        return at < 0 ? ("", "") : (rules.ShortTag[..at], rules.ShortTag[(at + 3)..]);
    }

    /// <summary>
    /// prompt.py's <c>normalise_question</c> with the manifest's <c>question_rules</c>: strip (Python <c>str.strip</c>),
    /// an empty question becomes <see cref="QuestionRulesSpec.EmptyQuestion"/>, the short tag <c>&lt;N&gt;</c> becomes
    /// <c>&lt;regionN&gt;</c> (N as Python's <c>int</c> writes it), and the anonymous tag <c>&lt;&gt;</c> the internal
    /// <c>&lt;region0&gt;</c> (a typed region 0 was refused before), which expands to the region token alone.
    /// </summary>
    internal static string NormaliseQuestion(string question, QuestionRulesSpec rules)
    {
        var q = rules.Strip ? PythonText.Trim(question).ToString() : question;
        if (q.Length == 0)
        {
            q = rules.EmptyQuestion;
        }

        var (prefix, suffix) = ShortTagParts(rules);
        var shortTags = FindTags(q, prefix, suffix);
        if (shortTags.Count > 0)
        {
            var sb = new StringBuilder(q.Length + (8 * shortTags.Count));
            var pos = 0;
            foreach (var tag in shortTags)
            {
                sb.Append(q, pos, tag.Index - pos).Append(RegionTagStart).Append(Format(tag.Number)).Append('>');
                pos = tag.Index + tag.Length;
            }

            q = sb.Append(q, pos, q.Length - pos).ToString();
        }

        return string.IsNullOrEmpty(rules.AnonymousTag) ? q : q.Replace(rules.AnonymousTag, RegionTagStart + "0>", StringComparison.Ordinal);
    }
}
