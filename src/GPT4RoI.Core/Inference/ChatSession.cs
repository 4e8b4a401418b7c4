using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// One conversation about one image: boxes accumulate and are numbered across turns, as in GPT4RoI's demo.
/// Not thread-safe (one turn at a time); the engine it uses is.
/// </summary>
public sealed class ChatSession : IDisposable, ITurnRecorder
{
    private readonly Gpt4RoIEngine _engine;
    private readonly List<BoundingBox> _boxes = [];
    private readonly List<float> _boxesNorm = [];
    private float[] _regionEmbeddings = [];
    private int[] _cachedIds = [];
    private int _cacheSlot = -1;
    private long _cacheStamp;
    private Generator? _current;
    private Activity? _generation;

    internal ChatSession(Gpt4RoIEngine engine, ImageFeatures features, Conversation conversation)
    {
        _engine = engine;
        Features = features;
        Conversation = conversation;
    }

    /// <summary>The image's features (shared through the engine's cache).</summary>
    public ImageFeatures Features { get; }

    /// <summary>The turns, questions and region numbering so far.</summary>
    public Conversation Conversation { get; }

    /// <summary>Every box given so far, in order: box i is <c>&lt;region{i+1}&gt;</c>.</summary>
    public IReadOnlyList<BoundingBox> Boxes => _boxes;

    /// <summary>Normalised boxes (N*4) in the order they were given.</summary>
    public IReadOnlyList<float> NormalisedBoxes => _boxesNorm;

    /// <summary>
    /// Starts a turn: validates the new boxes and the question (nothing changes when either is rejected), computes the
    /// new regions' embeddings and starts generating the answer in the engine's decode loop. The conversation records
    /// the answer when <see cref="Generator.Completion"/> completes; a failed or cancelled turn is taken back.
    /// </summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable, or the conversation is too long.</exception>
    /// <exception cref="InvalidOperationException">The previous turn is still being answered.</exception>
    /// <remarks>When <paramref name="stopRequested"/> is cancelled, the answer ends after its next token as
    /// <see cref="Generator.Stop"/> ends it (one token when it is cancelled already).</remarks>
    public Generator StartTurn(string question, IReadOnlyList<BoundingBox>? newBoxes = null, GenerationOptions? options = null,
        bool captureFirstLogits = false, CancellationToken stopRequested = default, CancellationToken cancellationToken = default) =>
        Start(question, newBoxes, null, options, captureFirstLogits, stopRequested, cancellationToken);

    /// <summary>
    /// Starts the first turn in a one-turn detection prompt mode (<see cref="Conversation.AddDetectionTurn"/>):
    /// <paramref name="imageIntro"/> replaces the image intro and carries one region token per box of
    /// <paramref name="boxes"/>, which go through the same validation as any box.
    /// </summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image, or too many.</exception>
    /// <exception cref="PromptException">The conversation has turns, or the question or intro is not acceptable.</exception>
    public Generator StartDetectionTurn(string question, string imageIntro, IReadOnlyList<BoundingBox> boxes, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageIntro);
        ArgumentNullException.ThrowIfNull(boxes);
        return Start(question, boxes, imageIntro, options, false, default, cancellationToken);
    }

    private Generator Start(string question, IReadOnlyList<BoundingBox>? newBoxes, string? detectionIntro, GenerationOptions? options,
        bool captureFirstLogits, CancellationToken stopRequested, CancellationToken cancellationToken)
    {
        if (_current is { IsCompleted: false })
        {
            throw new InvalidOperationException("the previous turn of this conversation is still being answered");
        }

        AddTurn(question, newBoxes, detectionIntro);
        DecodeSequence sequence;
        try
        {
            sequence = _engine.CreateSequence(this, options ?? _engine.DefaultGeneration, captureFirstLogits, cancellationToken);
        }
        catch
        {
            TakeBackTurn();
            throw;
        }

        sequence.Recorder = this;
        // Before the hand-over: a stop requested already ends the answer at its first token.
        sequence.StopWhen(stopRequested);
        _current = new Generator(sequence);
        _generation = TraceGeneration(sequence);
        _engine.Submit(sequence);
        return _current;
    }

    /// <summary>
    /// Starts a <see cref="Gpt4RoITelemetry.GenerateSpan"/> for the answer, a child of the caller's span. It is not
    /// made current (the caller's flow keeps its own span); the decode loop ends it when it records the answer or
    /// takes the turn back, before the answer's completion is signalled (<see cref="EndGeneration"/>).
    /// </summary>
    private static Activity? TraceGeneration(DecodeSequence sequence)
    {
        var caller = Activity.Current;
        var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.GenerateSpan);
        if (span is null)
        {
            return null;
        }

        Activity.Current = caller;
        span.SetTag("gpt4roi.prompt_tokens", sequence.PromptIds.Length);
        span.SetTag("gpt4roi.max_new_tokens", sequence.Options.MaxNewTokens);
        return span;
    }

    /// <summary>Ends the answer's span (on the decode loop's thread, whose current activity is left as it was).</summary>
    private void EndGeneration(GenerationResult? result)
    {
        var span = Interlocked.Exchange(ref _generation, null);
        if (span is null)
        {
            return;
        }

        if (result is not null)
        {
            span.SetTag("gpt4roi.generated_tokens", result.GeneratedTokenIds.Count);
            span.SetTag("gpt4roi.reused_prompt_tokens", result.ReusedPromptTokens);
            span.SetTag("gpt4roi.stop_reason", result.StopReason.ToString());
            span.SetTag("gpt4roi.prefill_ms", Math.Round(result.PrefillMilliseconds, 3));
            span.SetTag("gpt4roi.decode_ms", Math.Round(result.DecodeMilliseconds, 3));
        }
        else
        {
            span.SetStatus(ActivityStatusCode.Error, "not answered (cancelled or failed)");
        }

        var current = Activity.Current;
        span.Stop();
        Activity.Current = current;
    }

    /// <summary>Asks a question and waits for the answer (<see cref="StartTurn"/> then its completion).</summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable.</exception>
    public GenerationResult Ask(string question, IReadOnlyList<BoundingBox>? newBoxes = null, GenerationOptions? options = null,
        bool captureFirstLogits = false, CancellationToken cancellationToken = default) =>
        StartTurn(question, newBoxes, options, captureFirstLogits, cancellationToken: cancellationToken).Completion.GetAwaiter().GetResult();

    /// <summary>Asks a question; the task completes with the recorded answer.</summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable.</exception>
    public Task<GenerationResult> AskAsync(string question, IReadOnlyList<BoundingBox>? newBoxes = null, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        StartTurn(question, newBoxes, options, captureFirstLogits: false, cancellationToken: cancellationToken).Completion;

    /// <summary>
    /// Records a turn answered earlier (e.g. loaded from a stored transcript) without generating: validates the new
    /// boxes and the question as <see cref="StartTurn"/> does, computes the new regions' embeddings and sets the
    /// recorded answer. Nothing changes when validation fails. No keys/values are cached for it; the next turn
    /// prefills its whole prompt.
    /// </summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable.</exception>
    public void Replay(string question, IReadOnlyList<BoundingBox>? newBoxes, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (_current is { IsCompleted: false })
        {
            throw new InvalidOperationException("the previous turn of this conversation is still being answered");
        }

        AddTurn(question, newBoxes);
        Conversation.SetAnswer(answer);
    }

    /// <summary>Validates the boxes and the question and adds the turn and its regions' embeddings; on any failure the
    /// session is left as it was.</summary>
    private void AddTurn(string question, IReadOnlyList<BoundingBox>? newBoxes, string? detectionIntro = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        newBoxes ??= [];
        var policy = new BoxPolicy { MaxRegions = Math.Max(0, Conversation.Limits.MaxRegions - _boxes.Count) };
        var norm = newBoxes.Count == 0 ? [] : RegionBoxes.Normalise(newBoxes, Features.Width, Features.Height, policy);
        if (detectionIntro is null)
        {
            Conversation.AddTurn(question, newBoxes.Count);
        }
        else
        {
            Conversation.AddDetectionTurn(question, detectionIntro, newBoxes.Count);
        }

        try
        {
            if (newBoxes.Count > 0)
            {
                var added = _engine.RegionEmbeddings(Features, norm);
                _regionEmbeddings = [.. _regionEmbeddings, .. added];
                _boxes.AddRange(newBoxes);
                _boxesNorm.AddRange(norm);
            }
        }
        catch
        {
            TakeBackTurn();
            throw;
        }
    }

    /// <summary>Takes back the unanswered last turn and its boxes.</summary>
    private void TakeBackTurn()
    {
        Conversation.RemoveUnansweredTurn();
        if (_boxes.Count > Conversation.BoxCount)
        {
            var extra = _boxes.Count - Conversation.BoxCount;
            _boxes.RemoveRange(Conversation.BoxCount, extra);
            _boxesNorm.RemoveRange(Conversation.BoxCount * 4, extra * 4);
            _regionEmbeddings = _regionEmbeddings[..(Conversation.BoxCount * _engine.Manifest.Dims.Hidden)];
        }
    }

    /// <inheritdoc />
    void ITurnRecorder.Record(SequenceOutcome outcome)
    {
        Conversation.SetAnswer(outcome.Result.Answer);
        _cachedIds = outcome.CachedIds;
        _cacheSlot = outcome.Slot;
        _cacheStamp = outcome.Stamp;
        _engine.LogGenerated(outcome.Result);
        EndGeneration(outcome.Result);
    }

    /// <inheritdoc />
    void ITurnRecorder.TakeBack()
    {
        EndGeneration(null);
        TakeBackTurn();
        ClearKeyValueCache();
    }

    /// <summary>Where this conversation's keys/values may still be, and how many leading tokens of
    /// <paramref name="promptIds"/> they cover (at least one token is always left to prefill).</summary>
    internal SlotHint HintFor(IReadOnlyList<int> promptIds)
    {
        if (_cacheSlot < 0)
        {
            return SlotHint.None;
        }

        var n = Math.Min(_cachedIds.Length, promptIds.Count - 1);
        var i = 0;
        while (i < n && _cachedIds[i] == promptIds[i])
        {
            i++;
        }

        return new SlotHint(_cacheSlot, _cacheStamp, i);
    }

    /// <summary>Forgets the cached keys/values: the next turn prefills its whole prompt.</summary>
    public void ClearKeyValueCache()
    {
        _cachedIds = [];
        _cacheSlot = -1;
    }

    /// <summary>Forgets the cached keys/values (the slot they are in is the engine's and is reused).</summary>
    public void Dispose() => ClearKeyValueCache();

    /// <summary>Region embeddings [count, hidden] of the first <paramref name="count"/> boxes.</summary>
    internal float[] RegionEmbeddingsFor(int count)
    {
        var hidden = _engine.Manifest.Dims.Hidden;
        if (_regionEmbeddings.Length != count * hidden)
        {
            throw new InvalidOperationException($"have embeddings for {_regionEmbeddings.Length / hidden} regions, the conversation has {count}");
        }

        return _regionEmbeddings;
    }
}
