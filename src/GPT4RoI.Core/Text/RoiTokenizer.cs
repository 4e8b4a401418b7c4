using System.Buffers;
using System.Text;

namespace GPT4RoI.Core.Text;

/// <summary>
/// The GPT4RoI tokenizer: a SentencePiece BPE base vocabulary (<c>tokenizer.model</c>) plus added tokens
/// (<c>&lt;im_patch&gt;</c>, <c>&lt;im_start&gt;</c>, <c>&lt;im_end&gt;</c>, <c>&lt;bbox&gt;</c>, <c>&lt;point&gt;</c>) with the
/// semantics of HF's slow <c>LlamaTokenizer</c>, exactly as <c>Tokenizer</c> in models/gpt4roi_ref/prompt.py:
/// <list type="number">
/// <item>the text is split on the added tokens (leftmost match, longest token first at a position);</item>
/// <item>whitespace (Python <c>str.isspace</c>) is stripped on the left of a chunk that follows an added token and on the
/// right of a chunk that precedes one;</item>
/// <item>each remaining non-empty chunk is encoded by SentencePiece on its own (so each gets the <c>▁</c> dummy prefix);</item>
/// <item>BOS is prepended when asked.</item>
/// </list>
/// The SentencePiece encoder is a port of the sentencepiece library's BPE (see <see cref="SentencePieceModel"/>), not
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c>, which breaks score ties differently and so gives other ids for some
/// texts (e.g. <c>"sssistant"</c>, <c>"#######"</c>).
/// <para>Immutable after construction: <see cref="Encode"/> and <see cref="Decode(ReadOnlySpan{int})"/> are safe to call
/// concurrently.</para>
/// </summary>
public sealed class RoiTokenizer
{
    private readonly SentencePieceModel _model;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<int, string> _addedById;
    private readonly string[] _addedLongestFirst;
    private readonly SearchValues<string>? _addedSearch;

    /// <summary>Creates a tokenizer.</summary>
    /// <param name="modelStream">The SentencePiece <c>tokenizer.model</c> (read to the end, not disposed).</param>
    /// <param name="addedTokens">Added token text → id; ids must lie past the base vocabulary and be distinct.</param>
    /// <param name="bosId">Beginning-of-sentence id (base vocabulary).</param>
    /// <param name="eosId">End-of-sentence id (base vocabulary).</param>
    /// <exception cref="InvalidDataException">The model stream is not a valid SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model is not BPE with identity normalisation.</exception>
    /// <exception cref="ArgumentException">An added token or a special id is invalid.</exception>
    public RoiTokenizer(Stream modelStream, IReadOnlyDictionary<string, int> addedTokens, int bosId, int eosId)
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
        BosId = bosId;
        EosId = eosId;

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
        _addedLongestFirst = [.. _added.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)];
        _addedSearch = _added.Count > 0 ? SearchValues.Create(_addedLongestFirst, StringComparison.Ordinal) : null;
    }

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
        if (addBos)
        {
            output.Add(BosId);
        }

        var pos = 0;
        var afterAdded = false;
        while (true)
        {
            var rest = text[pos..];
            var at = _addedSearch is null ? -1 : rest.IndexOfAny(_addedSearch);
            var chunk = at < 0 ? rest : rest[..at];
            if (afterAdded)
            {
                chunk = PythonText.TrimStart(chunk);
            }

            if (at >= 0)
            {
                chunk = PythonText.TrimEnd(chunk);
            }

            if (!chunk.IsEmpty)
            {
                _model.Encode(chunk, output);
            }

            if (at < 0)
            {
                return;
            }

            var token = LongestAddedAt(rest[at..]);
            output.Add(_added[token]);
            pos += at + token.Length;
            afterAdded = true;
        }
    }

    private string LongestAddedAt(ReadOnlySpan<char> s)
    {
        foreach (var token in _addedLongestFirst)
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
            if (_addedById.TryGetValue(id, out var name))
            {
                run.Finish(output);
                output.Append(name);
            }
            else
            {
                run.Add(_model, id, output);
            }
        }

        run.Finish(output);
    }

    private void CheckId(int id)
    {
        if (id < 0 || id >= VocabSize || (id >= _model.Count && !_addedById.ContainsKey(id)))
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is not in the vocabulary (size {VocabSize}).");
        }
    }
}
