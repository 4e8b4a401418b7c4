using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GPT4RoI.Core.Text;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c>, a serialized <c>sentencepiece.ModelProto</c>) with the encode and
/// decode algorithms of the sentencepiece C++ library (<c>bpe_model.cc</c>, <c>normalizer.cc</c>,
/// <c>sentencepiece_processor.cc</c>), so ids are identical to python <c>sentencepiece</c>:
/// <list type="bullet">
/// <item>normalisation: identity only (empty precompiled charsmap); <c>' '</c> → <c>▁</c>; a <c>▁</c> dummy prefix when
/// <c>add_dummy_prefix</c>; no whitespace collapsing (<c>remove_extra_whitespaces</c> must be false);</item>
/// <item>BPE: start from code points (user-defined pieces matched whole and frozen), then repeatedly merge the adjacent
/// pair whose concatenation is a piece with the highest score, leftmost first on ties; UNUSED pieces are split back into
/// the pair they were merged from;</item>
/// <item>a result that is no piece is unknown: with <c>byte_fallback</c> it becomes its UTF-8 bytes (<c>&lt;0xXX&gt;</c>
/// pieces), otherwise a run of unknowns becomes one <c>unk</c> id;</item>
/// <item>decode: control pieces are invisible, <c>unk</c> is <c>unk_surface</c>, runs of byte pieces are decoded as
/// UTF-8 (each invalid byte → U+FFFD), <c>▁</c> → space, and the leading <c>▁</c> of the first piece is dropped.</item>
/// </list>
/// Immutable after construction, so safe for concurrent use.
/// </summary>
internal sealed class SentencePieceModel
{
    internal const char SpaceSymbol = '\u2581';
    private const string DefaultUnknownSurface = " \u2047 ";

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly PieceType[] _types;
    private readonly int[] _byteToId = new int[256];
    private readonly int[] _idToByte;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _normal;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _reserved;
    private readonly string[] _userDefined; // longest first

    // Decoded surface of each piece ('▁' → ' '), and the same without the leading '▁' (for the first piece).
    private readonly string[] _surface;
    private readonly string?[] _surfaceNoLeadingSpace;
    private readonly string[] _singleByteText;

    private SentencePieceModel(List<(string Piece, float Score, PieceType Type)> pieces, ModelSpec spec)
    {
        var n = pieces.Count;
        _pieces = new string[n];
        _scores = new float[n];
        _types = new PieceType[n];
        _idToByte = new int[n];
        _surface = new string[n];
        _surfaceNoLeadingSpace = new string?[n];
        Array.Fill(_byteToId, -1);
        var normal = new Dictionary<string, int>(StringComparer.Ordinal);
        var reserved = new Dictionary<string, int>(StringComparer.Ordinal);
        var userDefined = new List<string>();
        UnknownId = -1;
        for (var id = 0; id < n; id++)
        {
            var (piece, score, type) = pieces[id];
            if (piece.Length == 0)
            {
                throw new InvalidDataException($"SentencePiece model: piece {id} is empty.");
            }

            _pieces[id] = piece;
            _scores[id] = score;
            _types[id] = type;
            _idToByte[id] = -1;
            var isNormal = type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused;
            if (!(isNormal ? normal : reserved).TryAdd(piece, id))
            {
                throw new InvalidDataException($"SentencePiece model: piece '{piece}' is defined twice.");
            }

            switch (type)
            {
                case PieceType.UserDefined:
                    userDefined.Add(piece);
                    break;
                case PieceType.Unknown:
                    if (UnknownId >= 0)
                    {
                        throw new InvalidDataException("SentencePiece model: more than one unknown piece.");
                    }

                    UnknownId = id;
                    break;
                case PieceType.Byte:
                    if (!spec.ByteFallback)
                    {
                        throw new InvalidDataException($"SentencePiece model: byte piece '{piece}' although byte_fallback is false.");
                    }

                    var b = ParseBytePiece(piece);
                    if (b < 0)
                    {
                        throw new InvalidDataException($"SentencePiece model: invalid byte piece '{piece}'.");
                    }

                    _byteToId[b] = id;
                    _idToByte[id] = b;
                    break;
                case PieceType.Normal:
                case PieceType.Control:
                default:
                    break;
            }

            var surface = piece.Replace(SpaceSymbol, ' ');
            _surface[id] = surface;
            if (piece[0] == SpaceSymbol)
            {
                _surfaceNoLeadingSpace[id] = surface[1..];
            }
        }

        if (UnknownId < 0)
        {
            throw new InvalidDataException("SentencePiece model: no unknown piece.");
        }

        if (spec.ByteFallback && Array.IndexOf(_byteToId, -1) >= 0)
        {
            throw new InvalidDataException("SentencePiece model: byte_fallback is true but the 256 byte pieces are not all there.");
        }

        _normal = normal.GetAlternateLookup<ReadOnlySpan<char>>();
        _reserved = reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        userDefined.Sort((a, b) => b.Length.CompareTo(a.Length));
        _userDefined = [.. userDefined];
        ByteFallback = spec.ByteFallback;
        AddDummyPrefix = spec.AddDummyPrefix;
        EscapeWhitespaces = spec.EscapeWhitespaces;
        UnknownSurface = spec.UnknownSurface ?? DefaultUnknownSurface;
        _singleByteText = new string[128];
        for (var c = 0; c < 128; c++)
        {
            _singleByteText[c] = ((char)c).ToString();
        }
    }

    private enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Unused = 5,
        Byte = 6,
    }

    /// <summary>Number of pieces (base vocabulary size).</summary>
    public int Count => _pieces.Length;

    public int UnknownId { get; }

    public bool ByteFallback { get; }

    public bool AddDummyPrefix { get; }

    public bool EscapeWhitespaces { get; }

    public string UnknownSurface { get; }

    public string GetPiece(int id) => _pieces[id];

    public bool IsControl(int id) => _types[id] == PieceType.Control;

    /// <summary>The id of a piece, as sentencepiece's <c>PieceToId</c> (reserved pieces first); <c>unk</c> when none.</summary>
    public int PieceToId(ReadOnlySpan<char> piece)
    {
        if (_reserved.TryGetValue(piece, out var id) || _normal.TryGetValue(piece, out id))
        {
            return id;
        }

        return UnknownId;
    }

    /// <summary>Loads a serialized ModelProto.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid model.</exception>
    /// <exception cref="NotSupportedException">The model needs a feature this implementation does not have.</exception>
    public static SentencePieceModel Load(ReadOnlySpan<byte> proto)
    {
        var pieces = new List<(string, float, PieceType)>();
        var spec = new ModelSpec();
        var reader = new ProtoReader(proto);
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    pieces.Add(ReadPiece(reader.Bytes()));
                    break;
                case 2 when wire == 2:
                    ReadTrainerSpec(reader.Bytes(), spec);
                    break;
                case 3 when wire == 2:
                    ReadNormalizerSpec(reader.Bytes(), spec, isDenormalizer: false);
                    break;
                case 5 when wire == 2:
                    ReadNormalizerSpec(reader.Bytes(), spec, isDenormalizer: true);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (pieces.Count == 0)
        {
            throw new InvalidDataException("SentencePiece model has no pieces (is this a tokenizer.model file?).");
        }

        if (spec.ModelType != 2)
        {
            throw new NotSupportedException($"SentencePiece model type {spec.ModelType} is not supported; only BPE (2) is.");
        }

        if (spec.RemoveExtraWhitespaces)
        {
            throw new NotSupportedException("SentencePiece models with remove_extra_whitespaces=true are not supported.");
        }

        if (spec.TreatWhitespaceAsSuffix)
        {
            throw new NotSupportedException("SentencePiece models with treat_whitespace_as_suffix=true are not supported.");
        }

        if (spec.HasCharsMap)
        {
            throw new NotSupportedException("Only identity normalisation is supported (the model has a precompiled charsmap).");
        }

        return new SentencePieceModel(pieces, spec);
    }

    private static (string, float, PieceType) ReadPiece(ReadOnlySpan<byte> bytes)
    {
        string piece = "";
        var score = 0f;
        var type = PieceType.Normal;
        var r = new ProtoReader(bytes);
        while (r.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    piece = Encoding.UTF8.GetString(r.Bytes());
                    break;
                case 2 when wire == 5:
                    score = r.Fixed32Float();
                    break;
                case 3 when wire == 0:
                    var t = r.Varint();
                    if (t is < 1 or > 6)
                    {
                        throw new InvalidDataException($"SentencePiece model: unknown piece type {t}.");
                    }

                    type = (PieceType)t;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }

        return (piece, score, type);
    }

    private static void ReadTrainerSpec(ReadOnlySpan<byte> bytes, ModelSpec spec)
    {
        var r = new ProtoReader(bytes);
        while (r.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 3 when wire == 0:
                    spec.ModelType = (int)r.Varint();
                    break;
                case 24 when wire == 0:
                    spec.TreatWhitespaceAsSuffix = r.Varint() != 0;
                    break;
                case 35 when wire == 0:
                    spec.ByteFallback = r.Varint() != 0;
                    break;
                case 44 when wire == 2:
                    spec.UnknownSurface = Encoding.UTF8.GetString(r.Bytes());
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }

    private static void ReadNormalizerSpec(ReadOnlySpan<byte> bytes, ModelSpec spec, bool isDenormalizer)
    {
        var r = new ProtoReader(bytes);
        while (r.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 2 when wire == 2:
                    spec.HasCharsMap |= r.Bytes().Length > 0;
                    break;
                case 3 when wire == 0 && !isDenormalizer:
                    spec.AddDummyPrefix = r.Varint() != 0;
                    break;
                case 4 when wire == 0 && !isDenormalizer:
                    spec.RemoveExtraWhitespaces = r.Varint() != 0;
                    break;
                case 5 when wire == 0 && !isDenormalizer:
                    spec.EscapeWhitespaces = r.Varint() != 0;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }

    private static int ParseBytePiece(string piece)
    {
        // "<0xAB>"
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' &&
            int.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
        {
            return b;
        }

        return -1;
    }

    // ---------------------------------------------------------------- encode

    private struct Symbol
    {
        public int Start;
        public int Length; // 0 once merged into its left neighbour
        public int Prev;
        public int Next;
        public bool Freeze;
    }

    private struct Pair
    {
        public int Left;
        public int Right;
        public int Size;
        public float Score;
    }

    /// <summary>Encodes <paramref name="text"/> like <c>SentencePieceProcessor.encode(text)</c>, appending ids to <paramref name="output"/>.</summary>
    /// <param name="text">The text (one chunk between added tokens).</param>
    /// <param name="output">Receives the ids.</param>
    /// <param name="offsets">
    /// When not null, receives one range per id: the characters of <paramref name="text"/> (shifted by
    /// <paramref name="origin"/>) that the piece covers. The dummy-prefix <c>▁</c> covers nothing; of the byte pieces of one
    /// character the first covers the character and the others are empty at its end.
    /// </param>
    /// <param name="origin">Added to every offset (where <paramref name="text"/> starts in the caller's text).</param>
    public void Encode(ReadOnlySpan<char> text, List<int> output, List<Range>? offsets = null, int origin = 0)
    {
        if (text.IsEmpty)
        {
            return;
        }

        // Normalise: dummy prefix, ' ' → '▁', lone surrogates → U+FFFD (what a UTF-8 round trip gives).
        var normLength = text.Length + (AddDummyPrefix ? 1 : 0);
        var norm = ArrayPool<char>.Shared.Rent(normLength);
        var symbols = ArrayPool<Symbol>.Shared.Rent(normLength);
        var heap = ArrayPool<Pair>.Shared.Rent((3 * normLength) + 1);
        try
        {
            var w = 0;
            if (AddDummyPrefix)
            {
                norm[w++] = SpaceSymbol;
            }

            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == ' ' && EscapeWhitespaces)
                {
                    c = SpaceSymbol;
                }
                else if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        norm[w++] = c;
                        c = text[++i];
                    }
                    else
                    {
                        c = '\uFFFD';
                    }
                }
                else if (char.IsLowSurrogate(c))
                {
                    c = '\uFFFD';
                }

                norm[w++] = c;
            }

            var s = norm.AsSpan(0, w);
            var sink = new Sink(output, offsets, origin, AddDummyPrefix ? 1 : 0);
            var count = SplitSymbols(s, symbols);
            var heapCount = 0;
            Dictionary<string, (string, string)>? revMerge = null;
            for (var i = 1; i < count; i++)
            {
                MaybeAddPair(s, symbols, heap, ref heapCount, i - 1, i, ref revMerge);
            }

            while (heapCount > 0)
            {
                var top = heap[0];
                HeapPop(heap, ref heapCount);
                ref var left = ref symbols[top.Left];
                ref var right = ref symbols[top.Right];
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Size)
                {
                    continue; // stale
                }

                left.Length += right.Length;
                left.Next = right.Next;
                if (right.Next >= 0)
                {
                    symbols[right.Next].Prev = top.Left;
                }

                right.Length = 0;
                MaybeAddPair(s, symbols, heap, ref heapCount, left.Prev, top.Left, ref revMerge);
                MaybeAddPair(s, symbols, heap, ref heapCount, top.Left, left.Next, ref revMerge);
            }

            for (var i = 0; i >= 0 && count > 0; i = symbols[i].Next)
            {
                var piece = s.Slice(symbols[i].Start, symbols[i].Length);
                if (revMerge is not null)
                {
                    Resegment(piece.ToString(), symbols[i].Start, revMerge, ref sink);
                }
                else
                {
                    Emit(piece, symbols[i].Start, PieceToId(piece), ref sink);
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(norm);
            ArrayPool<Symbol>.Shared.Return(symbols);
            ArrayPool<Pair>.Shared.Return(heap);
        }
    }

    private int SplitSymbols(ReadOnlySpan<char> s, Symbol[] symbols)
    {
        var count = 0;
        var pos = 0;
        while (pos < s.Length)
        {
            var len = 0;
            var freeze = false;
            foreach (var u in _userDefined)
            {
                if (s[pos..].StartsWith(u, StringComparison.Ordinal))
                {
                    len = u.Length;
                    freeze = true;
                    break;
                }
            }

            if (len == 0)
            {
                len = char.IsHighSurrogate(s[pos]) && pos + 1 < s.Length && char.IsLowSurrogate(s[pos + 1]) ? 2 : 1;
            }

            symbols[count] = new Symbol
            {
                Start = pos,
                Length = len,
                Prev = count - 1,
                Next = pos + len < s.Length ? count + 1 : -1,
                Freeze = freeze,
            };
            count++;
            pos += len;
        }

        return count;
    }

    private void MaybeAddPair(
        ReadOnlySpan<char> s, Symbol[] symbols, Pair[] heap, ref int heapCount, int left, int right,
        ref Dictionary<string, (string, string)>? revMerge)
    {
        if (left < 0 || right < 0 || symbols[left].Freeze || symbols[right].Freeze)
        {
            return;
        }

        var size = symbols[left].Length + symbols[right].Length;
        var piece = s.Slice(symbols[left].Start, size);
        if (!_normal.TryGetValue(piece, out var id))
        {
            return;
        }

        HeapPush(heap, ref heapCount, new Pair { Left = left, Right = right, Size = size, Score = _scores[id] });
        if (_types[id] == PieceType.Unused)
        {
            revMerge ??= new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            revMerge[piece.ToString()] = (
                s.Slice(symbols[left].Start, symbols[left].Length).ToString(),
                s.Slice(symbols[right].Start, symbols[right].Length).ToString());
        }
    }

    private void Resegment(string piece, int start, Dictionary<string, (string Left, string Right)> revMerge, ref Sink sink)
    {
        var id = PieceToId(piece);
        if (id != UnknownId && _types[id] == PieceType.Unused && revMerge.TryGetValue(piece, out var parts))
        {
            Resegment(parts.Left, start, revMerge, ref sink);
            Resegment(parts.Right, start + parts.Left.Length, revMerge, ref sink);
            return;
        }

        Emit(piece, start, id, ref sink);
    }

    /// <summary>Emits one piece found at <paramref name="start"/> of the normalised text.</summary>
    private void Emit(ReadOnlySpan<char> piece, int start, int id, ref Sink sink)
    {
        var isUnknown = id == UnknownId;
        if (isUnknown && ByteFallback)
        {
            // The UTF-8 bytes of each character (lone surrogates are already U+FFFD).
            Span<byte> bytes = stackalloc byte[4];
            var pos = 0;
            while (pos < piece.Length)
            {
                var len = char.IsHighSurrogate(piece[pos]) && pos + 1 < piece.Length && char.IsLowSurrogate(piece[pos + 1]) ? 2 : 1;
                var n = Encoding.UTF8.GetBytes(piece.Slice(pos, len), bytes);
                var end = start + pos + len;
                for (var j = 0; j < n; j++)
                {
                    sink.Add(_byteToId[bytes[j]], j == 0 ? start + pos : end, end);
                }

                pos += len;
            }
        }
        else if (isUnknown && sink.PreviousUnknown)
        {
            // Without byte fallback, sentencepiece merges a run of unknown pieces into one.
            sink.ExtendLast(start + piece.Length);
        }
        else
        {
            sink.Add(id, start, start + piece.Length);
        }

        sink.PreviousUnknown = isUnknown;
    }

    /// <summary>Where <see cref="Emit"/> writes: ids and, when asked, their ranges mapped back to the caller's text.</summary>
    private struct Sink(List<int> ids, List<Range>? offsets, int origin, int prefix)
    {
        public bool PreviousUnknown;

        /// <summary>Adds an id covering normalised positions [<paramref name="start"/>, <paramref name="end"/>).</summary>
        public readonly void Add(int id, int start, int end)
        {
            ids.Add(id);
            offsets?.Add(new Range(Map(start), Map(end)));
        }

        public readonly void ExtendLast(int end)
        {
            if (offsets is not null)
            {
                offsets[^1] = new Range(offsets[^1].Start, Map(end));
            }
        }

        // Normalised position → caller position: the dummy prefix maps to the start of the text, every other character 1:1.
        private readonly int Map(int normalized) => origin + Math.Max(normalized - prefix, 0);
    }

    // Max-heap on (score, then smallest left) — sentencepiece's agenda order.
    private static bool Better(in Pair a, in Pair b) => a.Score > b.Score || (a.Score == b.Score && a.Left < b.Left);

    private static void HeapPush(Pair[] heap, ref int count, Pair item)
    {
        var i = count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Better(item, heap[parent]))
            {
                break;
            }

            heap[i] = heap[parent];
            i = parent;
        }

        heap[i] = item;
    }

    private static void HeapPop(Pair[] heap, ref int count)
    {
        var last = heap[--count];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Better(heap[child + 1], heap[child]))
            {
                child++;
            }

            if (!Better(heap[child], last))
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        if (count > 0)
        {
            heap[i] = last;
        }
    }

    // ---------------------------------------------------------------- decode

    /// <summary>Whether <paramref name="id"/> is a byte piece.</summary>
    public bool IsByte(int id) => _idToByte[id] >= 0;

    /// <summary>A cached one-character string for an ASCII character.</summary>
    public string AsciiText(char c) => _singleByteText[c];

    /// <summary>
    /// <c>SentencePieceProcessor.decode(ids)</c> for one piece alone, without allocating: control → "", unk → unk surface,
    /// a byte → its character (or U+FFFD if it is not ASCII), otherwise the piece with its leading <c>▁</c> dropped.
    /// </summary>
    public string DecodeSingle(int id)
    {
        switch (_types[id])
        {
            case PieceType.Control:
                return "";
            case PieceType.Unknown:
                return UnknownSurface;
            case PieceType.Byte:
                var b = _idToByte[id];
                return b < 0x80 ? _singleByteText[b] : "\uFFFD";
            default:
                return AddDummyPrefix ? _surfaceNoLeadingSpace[id] ?? _surface[id] : _surface[id];
        }
    }

    /// <summary>
    /// Decoding state for one run of base-vocabulary ids (sentencepiece decodes each run on its own: the leading
    /// <c>▁</c> of the first piece is dropped per run). Text is produced as soon as it is final: a byte piece that
    /// completes a UTF-8 character gives that character, a byte that cannot continue the pending ones gives U+FFFD, and
    /// only the bytes of an incomplete character (at most 3) are held back. The output is therefore the same whether a run
    /// is decoded at once or id by id (<see cref="RoiIncrementalDecoder"/>).
    /// </summary>
    internal struct DecodeRun
    {
        private uint _pending; // held-back bytes of an incomplete character, the first in the lowest 8 bits
        private int _pendingCount;
        private bool _textStarted;
        private bool _bosWsSeen;
        private bool _bosWsDone; // sentencepiece's is_bos_ws, inverted: once true it stays true

        /// <summary>Whether bytes of an incomplete UTF-8 character are held back.</summary>
        public readonly bool HasPendingBytes => _pendingCount > 0;

        /// <summary>Adds a base id, appending the text it makes final to <paramref name="output"/>.</summary>
        public void Add(SentencePieceModel model, int id, StringBuilder output)
        {
            var b = model._idToByte[id];
            if (b >= 0)
            {
                AddByte((byte)b, output);
                return;
            }

            FlushBytes(output);
            output.Append(PieceText(model, id));
        }

        /// <summary>
        /// The text of a piece that is not a byte piece, with the run's state updated; the caller has flushed any pending
        /// bytes first. Returns the model's cached strings, so it does not allocate.
        /// </summary>
        public string PieceText(SentencePieceModel model, int id)
        {
            Debug.Assert(_pendingCount == 0 && model._idToByte[id] < 0, "Flush pending bytes before a non-byte piece.");
            _bosWsDone |= _bosWsSeen || _textStarted;
            var isBosWs = !_bosWsDone;
            string text;
            _bosWsSeen = false;
            switch (model._types[id])
            {
                case PieceType.Control:
                    text = "";
                    break;
                case PieceType.Unknown:
                    text = model.UnknownSurface;
                    break;
                default:
                    var stripped = model._surfaceNoLeadingSpace[id];
                    if (isBosWs && model.AddDummyPrefix && stripped is not null)
                    {
                        text = stripped;
                        _bosWsSeen = true;
                    }
                    else
                    {
                        text = model._surface[id];
                    }

                    break;
            }

            _textStarted |= text.Length > 0;
            return text;
        }

        /// <summary>Ends the run: pending bytes become U+FFFD each and the state is reset for the next run.</summary>
        public void Finish(StringBuilder output)
        {
            FlushBytes(output);
            this = default;
        }

        private void AddByte(byte value, StringBuilder output)
        {
            _textStarted = true; // these bytes will give at least one character
            Span<byte> bytes = stackalloc byte[4];
            for (var i = 0; i < _pendingCount; i++)
            {
                bytes[i] = (byte)(_pending >> (8 * i));
            }

            bytes[_pendingCount] = value;
            var rest = bytes[..(_pendingCount + 1)];
            Span<char> chars = stackalloc char[2];
            while (!rest.IsEmpty)
            {
                var status = Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
                if (status == OperationStatus.Done)
                {
                    output.Append(chars[..rune.EncodeToUtf16(chars)]);
                    rest = rest[consumed..];
                }
                else if (status == OperationStatus.NeedMoreData)
                {
                    break; // a valid prefix of a character: hold it back
                }
                else
                {
                    // sentencepiece maps each structurally invalid byte to U+FFFD on its own.
                    output.Append('\uFFFD');
                    rest = rest[1..];
                }
            }

            Debug.Assert(rest.Length <= 3, "An incomplete UTF-8 character has at most 3 bytes.");
            _pendingCount = rest.Length;
            _pending = 0;
            for (var i = 0; i < rest.Length; i++)
            {
                _pending |= (uint)rest[i] << (8 * i);
            }
        }

        private void FlushBytes(StringBuilder output)
        {
            // Held-back bytes are a lead byte and its valid continuations; cut short, each of them is invalid on its own.
            output.Append('\uFFFD', _pendingCount);
            _pendingCount = 0;
            _pending = 0;
        }
    }

    private sealed class ModelSpec
    {
        public int ModelType { get; set; } = 1; // UNIGRAM is the proto default
        public bool ByteFallback { get; set; }
        public bool TreatWhitespaceAsSuffix { get; set; }
        public string? UnknownSurface { get; set; }
        public bool AddDummyPrefix { get; set; } = true;
        public bool RemoveExtraWhitespaces { get; set; } = true;
        public bool EscapeWhitespaces { get; set; } = true;
        public bool HasCharsMap { get; set; }
    }

    /// <summary>Minimal protobuf wire-format reader.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public bool Next(out int field, out int wire)
        {
            if (_pos >= _data.Length)
            {
                field = 0;
                wire = 0;
                return false;
            }

            var key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            if (field == 0)
            {
                throw new InvalidDataException("SentencePiece model: malformed protobuf (field number 0).");
            }

            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length)
                {
                    throw new InvalidDataException("SentencePiece model: truncated protobuf varint.");
                }

                var b = _data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new InvalidDataException("SentencePiece model: malformed protobuf varint.");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var len = Varint();
            if (len > (ulong)(_data.Length - _pos))
            {
                throw new InvalidDataException("SentencePiece model: truncated protobuf field.");
            }

            var slice = _data.Slice(_pos, (int)len);
            _pos += (int)len;
            return slice;
        }

        public float Fixed32Float()
        {
            if (_data.Length - _pos < 4)
            {
                throw new InvalidDataException("SentencePiece model: truncated protobuf fixed32.");
            }

            var v = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_pos, 4));
            _pos += 4;
            return v;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    Advance(8);
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    Advance(4);
                    break;
                default:
                    throw new InvalidDataException($"SentencePiece model: unsupported protobuf wire type {wire}.");
            }
        }

        private void Advance(int n)
        {
            if (_data.Length - _pos < n)
            {
                throw new InvalidDataException("SentencePiece model: truncated protobuf.");
            }

            _pos += n;
        }
    }
}
