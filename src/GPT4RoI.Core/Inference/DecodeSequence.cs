using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// One answer being generated in the <see cref="DecodeScheduler"/>: the prompt to prefill, where the conversation's
/// earlier keys/values may still be, and the per-token work that runs on the scheduler's thread between steps —
/// sampling, incremental detokenising, stop strings, the visible answer — with the events it produces for its reader.
/// </summary>
internal sealed class DecodeSequence
{
    private readonly TokenSampler _sampler;
    private readonly RoiIncrementalDecoder _detokenizer;
    private readonly AnswerStream _answer;
    private readonly StopDetector _stops;
    private readonly PromptTemplate _template;
    private readonly List<int> _generated;
    private char[] _text = ArrayPool<char>.Shared.Rent(256);
    private int _textLength;
    private int _stopSearchFrom;
    private readonly long _created = Stopwatch.GetTimestamp();
    private long _prefillStarted;
    private long _firstToken;
    private float[]? _firstLogits;
    private SequenceOutcome? _outcome;
    private volatile bool _stopRequested;
    private CancellationTokenRegistration _stopRegistration;

    public DecodeSequence(int[] promptIds, float[] promptEmbeddings, GenerationOptions options, Gpt4RoIEngine engine,
        SlotHint hint, bool captureFirstLogits, CancellationToken cancellation)
    {
        PromptIds = promptIds;
        PromptEmbeddings = promptEmbeddings;
        Options = options;
        Hint = hint;
        CaptureFirstLogits = captureFirstLogits;
        Cancellation = cancellation;
        EosId = engine.Tokenizer.EosId;
        _template = engine.Template;
        _sampler = new TokenSampler(options, engine.Manifest.Dims.VocabSize);
        _detokenizer = engine.Tokenizer.CreateStream();
        _answer = new AnswerStream(engine.Template);
        _stops = new StopDetector(engine.Template.StopStrings.Concat(options.StopStrings));
        _generated = new List<int>(options.MaxNewTokens);
    }

    public int[] PromptIds { get; }

    /// <summary>[prompt length, hidden]: the spliced input embeddings of the whole prompt.</summary>
    public float[] PromptEmbeddings { get; }

    public GenerationOptions Options { get; }

    /// <summary>Where this conversation's keys/values may still be, and how many of the prompt's tokens they cover.</summary>
    public SlotHint Hint { get; }

    public bool CaptureFirstLogits { get; }

    public CancellationToken Cancellation { get; }

    public int EosId { get; }

    public Channel<TokenEvent> Events { get; } =
        Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Completes after the conversation has recorded the answer (or taken the turn back). Continuations run
    /// asynchronously, and a thread blocked on it is woken directly: waiting needs no thread-pool thread.</summary>
    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The conversation the answer belongs to: told of the outcome before <see cref="Completion"/> completes.</summary>
    public ITurnRecorder? Recorder { get; set; }

    /// <summary>The slot the scheduler gave this sequence.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>The slot's stamp while this sequence owns it.</summary>
    public long Stamp { get; set; }

    /// <summary>Prompt tokens whose keys/values were already in the slot (not prefilled again).</summary>
    public int ReusedTokens { get; set; }

    /// <summary>The cache row the next token is written to (= tokens in the cache).</summary>
    public int NextPosition { get; set; }

    /// <summary>The last sampled token: the input of the next step.</summary>
    public int LastToken { get; private set; }

    public int GeneratedCount => _generated.Count;

    public void MarkPrefillStarted()
    {
        _prefillStarted = Stopwatch.GetTimestamp();
        Gpt4RoITelemetry.QueueWait.Record(Stopwatch.GetElapsedTime(_created, _prefillStarted).TotalSeconds, Gpt4RoITelemetry.DecodeQueue);
    }

    /// <summary>Takes the logits of the sequence's newest position: samples, detokenises, tells its reader; returns true
    /// when the answer is finished; the loop then frees the slot and calls <see cref="Publish"/>.</summary>
    public bool Accept(Span<float> logits)
    {
        if (_generated.Count == 0)
        {
            _firstToken = Stopwatch.GetTimestamp();
            if (CaptureFirstLogits)
            {
                _firstLogits = logits.ToArray();
            }
        }

        var early = _generated.Count < Options.MinNewTokens;
        if (early)
        {
            logits[EosId] = float.NegativeInfinity;
        }

        var token = _sampler.Next(logits);
        if (token == EosId)
        {
            Finish(StopReason.EndOfSequence);
            return true;
        }

        _generated.Add(token);
        var delta = _detokenizer.Decode(token);
        var before = _textLength;
        Append(delta);
        var text = _text.AsSpan(0, _textLength);
        Events.Writer.TryWrite(new TokenEvent(token, delta, _answer.Next(text)));
        if (early)
        {
            _stopSearchFrom = _textLength;
        }
        else if (_stops.IndexOf(text, Math.Max(_stopSearchFrom, before - _stops.MaxLength + 1)) >= 0)
        {
            Finish(StopReason.StopString);
            return true;
        }

        if (_stopRequested)
        {
            Finish(StopReason.Stopped);
            return true;
        }

        if (_generated.Count >= Options.MaxNewTokens)
        {
            Finish(StopReason.MaxNewTokens);
            return true;
        }

        LastToken = token;
        return false;
    }

    /// <summary>Asks the decode loop to end the answer after its next token (any thread).</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>Requests the stop when <paramref name="stopRequested"/> is cancelled (at once when it is already).</summary>
    public void StopWhen(CancellationToken stopRequested)
    {
        if (stopRequested.CanBeCanceled)
        {
            _stopRegistration = stopRequested.Register(RequestStop);
        }
    }

    /// <summary>Ends the sequence with an error (cancellation, a failed step, shutdown).</summary>
    public void Fail(Exception error)
    {
        Events.Writer.TryComplete(error);
        Recorder?.TakeBack();
        Completion.TrySetException(error);
        Release();
    }

    private void Finish(StopReason reason)
    {
        var now = Stopwatch.GetTimestamp();
        var raw = new string(_text, 0, _textLength);
        var result = new GenerationResult
        {
            // A stopped answer is what was shown so far: a stop string or "Assistant:" being held back is not part of it.
            Answer = reason == StopReason.Stopped ? new AnswerStream(_template).Next(raw) : AnswerText.Clean(raw, _template),
            RawText = raw,
            PromptTokenIds = PromptIds,
            GeneratedTokenIds = [.. _generated],
            StopReason = reason,
            ReusedPromptTokens = ReusedTokens,
            PrefillMilliseconds = Stopwatch.GetElapsedTime(_prefillStarted, _firstToken).TotalMilliseconds,
            DecodeMilliseconds = Stopwatch.GetElapsedTime(_firstToken, now).TotalMilliseconds,
            FirstStepLogits = _firstLogits,
        };
        // The slot holds every token fed so far: the prompt and all generated tokens but the last one.
        var cached = new int[NextPosition];
        PromptIds.AsSpan(0, Math.Min(PromptIds.Length, NextPosition)).CopyTo(cached);
        for (var i = PromptIds.Length; i < NextPosition; i++)
        {
            cached[i] = _generated[i - PromptIds.Length];
        }

        _outcome = new SequenceOutcome(result, Slot, Stamp, cached);
    }

    /// <summary>Tells the conversation and the waiters that the answer is finished. Called by the decode loop after
    /// <see cref="Accept"/> returned true and the step's bookkeeping is done.</summary>
    public void Publish()
    {
        var outcome = _outcome ?? throw new InvalidOperationException("the sequence has not finished");
        Events.Writer.TryComplete();
        Recorder?.Record(outcome);
        Completion.TrySetResult(outcome.Result);
        Release();
    }

    private void Append(string s)
    {
        if (_textLength + s.Length > _text.Length)
        {
            var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_text.Length * 2, _textLength + s.Length));
            _text.AsSpan(0, _textLength).CopyTo(bigger);
            ArrayPool<char>.Shared.Return(_text);
            _text = bigger;
        }

        s.CopyTo(_text.AsSpan(_textLength));
        _textLength += s.Length;
    }

    private void Release()
    {
        _stopRegistration.Dispose();
        var text = Interlocked.Exchange(ref _text, []);
        if (text.Length > 0)
        {
            ArrayPool<char>.Shared.Return(text);
        }
    }
}
