using System.Text;

namespace GPT4RoI.Core.Text;

/// <summary>
/// Incremental decoding of one sequence of ids (like ONNX Runtime GenAI's <c>TokenizerStream</c>): <see cref="Decode"/>
/// returns the text a new id adds, without decoding the earlier ids again. The outputs of <see cref="Decode"/> for ids
/// i₁…iₙ followed by <see cref="Flush"/>, concatenated, equal <see cref="RoiTokenizer.Decode(ReadOnlySpan{int})"/> of
/// i₁…iₙ:
/// <list type="bullet">
/// <item>the <c>▁</c> of the first piece of the sequence, and of the first piece after an added token, is dropped (the
/// leading-space rule of sentencepiece's decode);</item>
/// <item>byte pieces that start a multi-byte UTF-8 character are held back (<see cref="Decode"/> returns <c>""</c>) until the
/// character is complete; bytes that cannot form a character become U+FFFD each, as soon as that is certain;</item>
/// <item>an added token is returned by name; BOS/EOS add nothing.</item>
/// </list>
/// Each call costs O(1) (beyond the length of its output) and, unless bytes are involved, returns the tokenizer's cached
/// strings without allocating. Create one per sequence with <see cref="RoiTokenizer.CreateStream"/>; not thread-safe.
/// </summary>
public sealed class RoiIncrementalDecoder
{
    private readonly RoiTokenizer _tokenizer;
    private readonly SentencePieceModel _model;
    private readonly StringBuilder _scratch = new(8);
    private SentencePieceModel.DecodeRun _run;

    internal RoiIncrementalDecoder(RoiTokenizer tokenizer, SentencePieceModel model)
    {
        _tokenizer = tokenizer;
        _model = model;
    }

    /// <summary>Adds the next id of the sequence and returns the text it adds (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is negative or not in the vocabulary.</exception>
    public string Decode(int id)
    {
        _tokenizer.CheckId(id);
        if (!_run.HasPendingBytes)
        {
            if (_tokenizer.TryGetAddedToken(id, out var name))
            {
                _run = default; // the next piece starts a new run
                return name;
            }

            if (!_model.IsByte(id))
            {
                return _run.PieceText(_model, id);
            }
        }

        _scratch.Clear();
        _tokenizer.AppendDecoded(ref _run, id, _scratch);
        return Text();
    }

    /// <summary>
    /// Ends the sequence: returns the held-back text (each byte of an unfinished character as U+FFFD; usually empty) and
    /// resets the stream for a new sequence.
    /// </summary>
    public string Flush()
    {
        _scratch.Clear();
        _run.Finish(_scratch);
        return Text();
    }

    private string Text() => _scratch.Length switch
    {
        0 => "",
        1 when _scratch[0] < 0x80 => _model.AsciiText(_scratch[0]),
        1 when _scratch[0] == '\uFFFD' => "\uFFFD",
        _ => _scratch.ToString(),
    };
}
