namespace GPT4RoI.Core.Inference;

/// <summary>
/// One answer being generated for a <see cref="ChatSession"/> (in the spirit of ONNX Runtime GenAI's Generator and
/// TokenizerStream): its sequence holds the prompt, its key/value slot and positions, the sampler, the incremental
/// detokenizer and the stop strings, and runs in the engine's batched decode loop. Tokens can be read as they come
/// (<see cref="ReadTokensAsync"/>, once); <see cref="Completion"/> gives the finished answer after the conversation
/// has recorded it. Generation does not wait for the reader: a slow reader only buffers events.
/// </summary>
public sealed class Generator
{
    private readonly DecodeSequence _sequence;

    internal Generator(DecodeSequence sequence)
    {
        _sequence = sequence;
        Completion = sequence.Completion.Task;
    }

    /// <summary>The finished answer; faults with the error that ended the generation (a cancellation, a failed run).</summary>
    public Task<GenerationResult> Completion { get; }

    /// <summary>Whether the answer is finished (or failed).</summary>
    public bool IsCompleted => Completion.IsCompleted;

    /// <summary>Ends the answer after its next token with <see cref="StopReason.Stopped"/>: unlike a cancellation, the
    /// text so far is the answer, and the conversation records it. Any thread; nothing happens once it is finished.</summary>
    public void Stop() => _sequence.RequestStop();

    /// <summary>Every generated token, in order: its id, the raw text it added, and what it added to the visible
    /// answer. Ends when the answer is finished; throws the error that ended it otherwise. One reader.</summary>
    public IAsyncEnumerable<TokenEvent> ReadTokensAsync(CancellationToken cancellationToken = default) =>
        _sequence.Events.Reader.ReadAllAsync(cancellationToken);
}
