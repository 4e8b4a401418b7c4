using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace GPT4RoI.Core.Text;

/// <summary>
/// The GPT4RoI tokenizer: a SentencePiece BPE base vocabulary (<c>tokenizer.model</c>) plus added tokens
/// (<c>&lt;im_patch&gt;</c>, <c>&lt;im_start&gt;</c>, <c>&lt;im_end&gt;</c>, <c>&lt;bbox&gt;</c>, <c>&lt;point&gt;</c>) with the
/// semantics of HF's slow <c>LlamaTokenizer</c>, exactly as <c>Tokenizer</c> in models/gpt4roi_ref/prompt.py:
/// <list type="number">
/// <item>the text is split on the added tokens and the special tokens of special_tokens_map.json (leftmost match, longest
/// token first at a position); each of them becomes its single id;</item>
/// <item>whitespace (Python <c>str.isspace</c>) is stripped on the left of a chunk that follows an added or special token
/// and on the right of a chunk that precedes one;</item>
/// <item>each remaining non-empty chunk is encoded by SentencePiece on its own (so each gets the <c>▁</c> dummy prefix);</item>
/// <item>BOS is prepended when asked.</item>
/// </list>
/// The SentencePiece encoder is a port of the sentencepiece library's BPE (see <see cref="SentencePieceModel"/>), not
/// Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>/<c>LlamaTokenizer</c>, which merges the rightmost of two
/// equally scored pairs first and so gives other ids for some texts (e.g. <c>"sssistant"</c>, <c>"#######"</c>; the
/// comparison is in docs/model-format.md). The type is a <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>, so code written
/// against that package uses it unchanged:
/// <list type="bullet">
/// <item><c>EncodeToIds</c>/<c>EncodeToTokens</c>/<c>CountTokens</c> give the ids of <see cref="Encode(string, bool)"/>, with
/// BOS when <see cref="AddBeginningOfSentence"/>; <c>maxTokenCount</c> is honoured (never cutting between the byte pieces
/// of one character); <c>considerPreTokenization</c> and <c>considerNormalization</c> are ignored: the added-token split
/// and sentencepiece's normalisation define the ids, so there is no separate <see cref="Tokenizer.PreTokenizer"/> or
/// <see cref="Tokenizer.Normalizer"/> to skip (both are null);</item>
/// <item><see cref="EncodedToken.Offset"/> ranges index the input text itself (normalised text is always null): a piece
/// covers its characters (a <c>▁</c> from a space covers that space, the dummy-prefix <c>▁</c> nothing), the first byte
/// piece of a character covers the character and its other byte pieces are empty at its end, an added token covers its
/// name, BOS is empty at 0, and whitespace stripped around added tokens is covered by no token;</item>
/// <item><c>Decode</c> equals <see cref="Decode(ReadOnlySpan{int})"/>.</item>
/// </list>
/// <para>Immutable after construction: all encode and decode methods are safe to call concurrently. A
/// <see cref="RoiIncrementalDecoder"/> from <see cref="CreateStream"/> holds per-sequence state and is not.</para>
/// </summary>
public sealed class RoiTokenizer : Tokenizer
{
    private readonly SentencePieceModel _model;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<int, string> _addedById;
    private readonly Dictionary<string, int> _noSplit;
    private readonly string[] _noSplitLongestFirst;
    private readonly SearchValues<string>? _noSplitSearch;

    /// <summary>Creates a tokenizer.</summary>
    /// <param name="modelStream">The SentencePiece <c>tokenizer.model</c> (read to the end, not disposed).</param>
    /// <param name="addedTokens">Added token text → id; ids must lie past the base vocabulary and be distinct.</param>
    /// <param name="bosId">Beginning-of-sentence id (base vocabulary).</param>
    /// <param name="eosId">End-of-sentence id (base vocabulary).</param>
    /// <param name="addBeginningOfSentence">
    /// Whether the <see cref="Tokenizer"/> methods (<c>EncodeToIds</c>, <c>EncodeToTokens</c>, <c>CountTokens</c>, …) prepend
    /// BOS, as the manifest's <c>add_bos</c> says; <see cref="Encode(string, bool)"/> takes it per call.
    /// </param>
    /// <param name="specialTokens">
    /// special_tokens_map.json's strings (<c>bos_token</c>, <c>eos_token</c>, <c>unk_token</c>, <c>pad_token</c> → text; the
    /// manifest's <c>tokenizer.special_tokens</c>): each is split out of text like an added token and becomes one id, its
    /// added-token id when it is an added token (<c>[PAD]</c>), else its piece id in the model (<c>&lt;s&gt;</c>,
    /// <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>), as the slow tokenizer's <c>unique_no_split_tokens</c>. When it names a
    /// <c>bos_token</c> or <c>eos_token</c>, that token's id must equal <paramref name="bosId"/> or <paramref name="eosId"/>.
    /// Null: none (text like <c>&lt;s&gt;</c> is encoded as plain text).
    /// </param>
    /// <exception cref="InvalidDataException">The model stream is not a valid SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model is not BPE with identity normalisation.</exception>
    /// <exception cref="ArgumentException">An added token, a special token or a special id is invalid.</exception>
    public RoiTokenizer(
        Stream modelStream, IReadOnlyDictionary<string, int> addedTokens, int bosId, int eosId, bool addBeginningOfSentence = true,
        IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(modelStream);
        ArgumentNullException.ThrowIfNull(addedTokens);
        using (var buffer = new MemoryStream())
        {
            modelStream.CopyTo(buffer);
            _model = SentencePieceModel.Load(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }

        var baseCount = _model.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(bosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bosId, baseCount);
        ArgumentOutOfRangeException.ThrowIfNegative(eosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(eosId, baseCount);
        AddBeginningOfSentence = addBeginningOfSentence;

        _added = new Dictionary<string, int>(StringComparer.Ordinal);
        _addedById = [];
        var vocabSize = baseCount;
        foreach (var (name, id) in addedTokens)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("An added token is empty.", nameof(addedTokens));
            }

            if (id < baseCount)
            {
                throw new ArgumentException(
                    $"Added token '{name}' has id {id}, inside the base vocabulary of {baseCount} pieces.", nameof(addedTokens));
            }

            if (!_addedById.TryAdd(id, name))
            {
                throw new ArgumentException($"Added tokens '{_addedById[id]}' and '{name}' share id {id}.", nameof(addedTokens));
            }

            _added.Add(name, id);
            vocabSize = Math.Max(vocabSize, id + 1);
        }

        VocabSize = vocabSize;
        _noSplit = new Dictionary<string, int>(_added, StringComparer.Ordinal);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, text) in specialTokens ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(text))
            {
                throw new ArgumentException($"Special token {name} is empty.", nameof(specialTokens));
            }

            if (!_added.TryGetValue(text, out var id))
            {
                id = _model.PieceToId(text);
                if (_model.GetPiece(id) != text)
                {
                    throw new ArgumentException($"Special token {name}='{text}' is neither an added token nor a piece of the model.", nameof(specialTokens));
                }
            }

            special[text] = id;
            _noSplit[text] = id;
            if ((name == "bos_token" && id != bosId) || (name == "eos_token" && id != eosId))
            {
                throw new ArgumentException(
                    $"Special token {name}='{text}' has id {id}, but the {(name == "bos_token" ? "BOS" : "EOS")} id is {(name == "bos_token" ? bosId : eosId)}.",
                    nameof(specialTokens));
            }
        }

        SpecialTokens = special;
        BosId = bosId;
        EosId = eosId;
        _noSplitLongestFirst = [.. _noSplit.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)];
        _noSplitSearch = _noSplit.Count > 0 ? SearchValues.Create(_noSplitLongestFirst, StringComparison.Ordinal) : null;
    }

    /// <summary>The special tokens split out of text (text → id; see the constructor); empty when none were given.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Whether the <see cref="Tokenizer"/> methods prepend BOS (see the constructor).</summary>
    public bool AddBeginningOfSentence { get; }

    /// <summary>Beginning-of-sentence id.</summary>
    public int BosId { get; }

    /// <summary>End-of-sentence id.</summary>
    public int EosId { get; }

    /// <summary>Number of pieces in <c>tokenizer.model</c>.</summary>
    public int BaseVocabSize => _model.Count;

    /// <summary>One past the largest id (base pieces and added tokens).</summary>
    public int VocabSize { get; }

    /// <summary>The added tokens (text → id).</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    /// <summary>The id of an added token.</summary>
    /// <exception cref="KeyNotFoundException">There is no such added token.</exception>
    public int GetAddedTokenId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _added.TryGetValue(token, out var id)
            ? id
            : throw new KeyNotFoundException($"'{token}' is not an added token (have: {string.Join(", ", _added.Keys)}).");
    }

    /// <summary>The piece text of an id (added tokens by name), like <c>Tokenizer.piece</c>.</summary>
    public string GetPiece(int id)
    {
        CheckId(id);
        return _addedById.TryGetValue(id, out var name) ? name : _model.GetPiece(id);
    }

    /// <summary>Encodes <paramref name="text"/> like prompt.py's <c>Tokenizer.encode(text, add_bos)</c>.</summary>
    public int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>((text.Length / 3) + 2);
        Encode(text, ids, addBos);
        return [.. ids];
    }

    /// <summary>Encodes <paramref name="text"/> and appends the ids to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        EncodeCore(text, output, null, addBos);
    }

    private void EncodeCore(ReadOnlySpan<char> text, List<int> output, List<Range>? offsets, bool addBos)
    {
        if (addBos)
        {
            output.Add(BosId);
            offsets?.Add(new Range(0, 0));
        }

        var pos = 0;
        var afterAdded = false;
        while (true)
        {
            var rest = text[pos..];
            var at = _noSplitSearch is null ? -1 : rest.IndexOfAny(_noSplitSearch);
            var chunk = at < 0 ? rest : rest[..at];
            var chunkStart = pos;
            if (afterAdded)
            {
                var trimmed = PythonText.TrimStart(chunk);
                chunkStart += chunk.Length - trimmed.Length;
                chunk = trimmed;
            }

            if (at >= 0)
            {
                chunk = PythonText.TrimEnd(chunk);
            }

            if (!chunk.IsEmpty)
            {
                _model.Encode(chunk, output, offsets, chunkStart);
            }

            if (at < 0)
            {
                return;
            }

            var token = LongestNoSplitAt(rest[at..]);
            output.Add(_noSplit[token]);
            offsets?.Add(new Range(pos + at, pos + at + token.Length));
            pos += at + token.Length;
            afterAdded = true;
        }
    }

    private string LongestNoSplitAt(ReadOnlySpan<char> s)
    {
        foreach (var token in _noSplitLongestFirst)
        {
            if (s.StartsWith(token, StringComparison.Ordinal))
            {
                return token;
            }
        }

        throw new InvalidOperationException("Added-token search and match disagree."); // unreachable
    }

    /// <summary>
    /// Decodes ids like prompt.py's <c>Tokenizer.decode</c>: added tokens by name; each run of base ids between them
    /// decoded by SentencePiece (BOS/EOS invisible, <c>▁</c> → space, the leading space of a run's first piece dropped,
    /// byte pieces assembled into UTF-8, invalid bytes → U+FFFD). A single id decodes without allocating.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty)
        {
            return "";
        }

        if (ids.Length == 1)
        {
            var id = ids[0];
            CheckId(id);
            return _addedById.TryGetValue(id, out var name) ? name : _model.DecodeSingle(id);
        }

        var sb = new StringBuilder(ids.Length * 4);
        Decode(ids, sb);
        return sb.ToString();
    }

    /// <summary>Decodes like <see cref="Decode(ReadOnlySpan{int})"/>, appending to <paramref name="output"/>.</summary>
    public void Decode(ReadOnlySpan<int> ids, StringBuilder output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var id in ids)
        {
            CheckId(id);
        }

        var run = default(SentencePieceModel.DecodeRun);
        foreach (var id in ids)
        {
            AppendDecoded(ref run, id, output);
        }

        run.Finish(output);
    }

    /// <summary>
    /// Creates an incremental decoder for one sequence of ids (a generated answer): its <see cref="RoiIncrementalDecoder.Decode"/>
    /// returns the text each new id adds, so the concatenated outputs (and a final <see cref="RoiIncrementalDecoder.Flush"/>)
    /// equal <see cref="Decode(ReadOnlySpan{int})"/> of all the ids, at O(1) cost per id.
    /// </summary>
    public RoiIncrementalDecoder CreateStream() => new(this, _model);

    /// <summary>Appends the text <paramref name="id"/> makes final; <paramref name="run"/> carries the state between ids.</summary>
    internal void AppendDecoded(ref SentencePieceModel.DecodeRun run, int id, StringBuilder output)
    {
        if (TryGetAddedToken(id, out var name))
        {
            run.Finish(output);
            output.Append(name);
        }
        else
        {
            run.Add(_model, id, output);
        }
    }

    /// <summary>The name of an added token id.</summary>
    internal bool TryGetAddedToken(int id, [MaybeNullWhen(false)] out string name)
    {
        if (id < _model.Count)
        {
            name = null;
            return false;
        }

        return _addedById.TryGetValue(id, out name);
    }

    internal void CheckId(int id)
    {
        if (id < 0 || id >= VocabSize || (id >= _model.Count && !_addedById.ContainsKey(id)))
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is not in the vocabulary (size {VocabSize}).");
        }
    }

    // ------------------------------------------------------------ Microsoft.ML.Tokenizers.Tokenizer

    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var input = text is null ? textSpan : text.AsSpan();
        var maxTokenCount = CheckMaxTokenCount(settings.MaxTokenCount);
        var ids = new List<int>((input.Length / 3) + 2);
        var offsets = new List<Range>(ids.Capacity);
        EncodeCore(input, ids, offsets, AddBeginningOfSentence);
        var count = CountFromStart(ids, offsets, maxTokenCount, input.Length, out var charsConsumed);
        var tokens = new EncodedToken[count];
        for (var i = 0; i < count; i++)
        {
            tokens[i] = new EncodedToken(ids[i], GetPiece(ids[i]), offsets[i]);
        }

        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = charsConsumed };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var input = text is null ? textSpan : text.AsSpan();
        var maxTokenCount = CheckMaxTokenCount(settings.MaxTokenCount);
        var ids = new List<int>((input.Length / 3) + 2);
        if (maxTokenCount == int.MaxValue)
        {
            EncodeCore(input, ids, null, AddBeginningOfSentence);
            return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = input.Length };
        }

        var offsets = new List<Range>(ids.Capacity);
        EncodeCore(input, ids, offsets, AddBeginningOfSentence);
        var count = CountFromStart(ids, offsets, maxTokenCount, input.Length, out var charsConsumed);
        ids.RemoveRange(count, ids.Count - count);
        return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = charsConsumed };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings) =>
        EncodeToIds(text, textSpan, settings).Tokens.Count;

    /// <inheritdoc/>
    protected override int GetIndexByTokenCount(
        string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        var input = text is null ? textSpan : text.AsSpan();
        var maxTokenCount = CheckMaxTokenCount(settings.MaxTokenCount);
        var ids = new List<int>((input.Length / 3) + 2);
        var offsets = new List<Range>(ids.Capacity);
        EncodeCore(input, ids, offsets, AddBeginningOfSentence);
        normalizedText = null;
        if (!fromEnd)
        {
            tokenCount = CountFromStart(ids, offsets, maxTokenCount, input.Length, out var charsConsumed);
            return charsConsumed;
        }

        // The last tokens: start at the first one that is not a later byte piece of a character.
        var first = ids.Count - Math.Min(maxTokenCount, ids.Count);
        while (first < ids.Count && IsCharacterContinuation(ids, offsets, first))
        {
            first++;
        }

        tokenCount = ids.Count - first;
        return first < ids.Count ? offsets[first].Start.Value : input.Length;
    }

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids switch
        {
            int[] array => Decode(new ReadOnlySpan<int>(array)),
            List<int> list => Decode((ReadOnlySpan<int>)CollectionsMarshal.AsSpan(list)),
            _ => Decode(new ReadOnlySpan<int>(ids.ToArray())),
        };
    }

    /// <summary>
    /// Decodes into <paramref name="destination"/>. When the whole text does not fit, writes the text of the longest prefix
    /// of ids that fits and ends on a whole character (no byte pieces held back), so <paramref name="charsWritten"/> chars
    /// are <see cref="Decode(ReadOnlySpan{int})"/> of the first <paramref name="idsConsumed"/> ids.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not in the vocabulary.</exception>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        var run = default(SentencePieceModel.DecodeRun);
        int consumed = 0, safeIds = 0, safeChars = 0;
        var fits = true;
        foreach (var id in ids)
        {
            CheckId(id);
            AppendDecoded(ref run, id, sb);
            if (sb.Length > destination.Length)
            {
                fits = false;
                break;
            }

            consumed++;
            if (!run.HasPendingBytes)
            {
                safeIds = consumed;
                safeChars = sb.Length;
            }
        }

        if (fits)
        {
            run.Finish(sb);
            if (sb.Length <= destination.Length)
            {
                sb.CopyTo(0, destination, sb.Length);
                idsConsumed = consumed;
                charsWritten = sb.Length;
                return OperationStatus.Done;
            }
        }

        sb.CopyTo(0, destination, safeChars);
        idsConsumed = safeIds;
        charsWritten = safeChars;
        return OperationStatus.DestinationTooSmall;
    }

    private static int CheckMaxTokenCount(int maxTokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokenCount, nameof(EncodeSettings.MaxTokenCount));
        return maxTokenCount;
    }

    /// <summary>How many of the first tokens to keep (at most <paramref name="maxTokenCount"/>, whole characters only).</summary>
    private int CountFromStart(List<int> ids, List<Range> offsets, int maxTokenCount, int textLength, out int charsConsumed)
    {
        if (ids.Count <= maxTokenCount)
        {
            charsConsumed = textLength;
            return ids.Count;
        }

        var count = maxTokenCount;
        while (count > 0 && IsCharacterContinuation(ids, offsets, count))
        {
            count--;
        }

        charsConsumed = count > 0 ? offsets[count - 1].End.Value : 0;
        return count;
    }

    // A byte piece after the first of its character (those cover no text, see the class remarks).
    private bool IsCharacterContinuation(List<int> ids, List<Range> offsets, int index) =>
        ids[index] < _model.Count && _model.IsByte(ids[index]) && offsets[index].Start.Value == offsets[index].End.Value;
}
