using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Services;

/// <summary>
/// Continues a stored conversation: rebuilds it from the image and the turns answered before (their recorded answers,
/// no generation) and answers the next question. The durable sessions call it once per turn, so a turn needs nothing
/// but the stored image and transcript.
/// </summary>
public sealed class ConversationService(Gpt4RoIEngine engine, ImageLimits imageLimits)
{
    /// <summary>
    /// Checks what opens a conversation without running the model: the image decodes within the limits, the boxes fit
    /// it, and the first question (when given) follows the model's question rules with those boxes. A session refuses
    /// such a request before it exists, as a single query would, instead of recording a failed first turn.
    /// </summary>
    /// <exception cref="Gpt4RoIException">The image, a box or the question was refused.</exception>
    public void CheckOpening(ReadOnlyMemory<byte> image, string imageName, string? question, IReadOnlyList<BoundingBox> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        using var decoded = ImageDecoder.Decode(image, imageName, imageLimits);
        var limits = PromptLimits.Default;
        if (regions.Count > 0)
        {
            RegionBoxes.Normalise(regions, decoded.Width, decoded.Height, new BoxPolicy { MaxRegions = limits.MaxRegions });
        }

        if (question is not null)
        {
            new Conversation(engine.Template, limits).AddTurn(question, regions.Count);
        }
    }

    /// <summary>Answers the next question of a conversation; null <paramref name="options"/> takes the model's decoding
    /// defaults. <paramref name="onDelta"/>, when given, gets the answer's text as each token adds to it, on the
    /// calling thread, before the result returns. When <paramref name="stopRequested"/> is cancelled the answer ends
    /// after its next token (<see cref="StopReason.Stopped"/>) and the text so far is the answer.</summary>
    /// <exception cref="Gpt4RoIException">The image, a box or the question was refused.</exception>
    public ConversationTurnResult AnswerNext(ReadOnlyMemory<byte> image, string imageName, IEnumerable<RecordedTurn> history,
        string question, IReadOnlyList<BoundingBox> regions, GenerationOptions? options, Action<AnswerDelta>? onDelta = null,
        CancellationToken stopRequested = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.ConversationTurnSpan);
        var total = Stopwatch.StartNew();
        using var decoded = ImageDecoder.Decode(image, imageName, imageLimits);
        using var session = engine.StartSession(decoded, cancellationToken: cancellationToken);
        foreach (var turn in history)
        {
            session.Replay(turn.Question, turn.Regions, turn.Answer);
        }

        var replayMs = total.Elapsed.TotalMilliseconds;
        var first = session.Boxes.Count + 1;
        span?.SetTag("gpt4roi.turn", session.Conversation.Turns.Count + 1);
        span?.SetTag("gpt4roi.regions", regions.Count);
        var generator = session.StartTurn(question, regions, options, stopRequested: stopRequested, cancellationToken: cancellationToken);
        if (onDelta is not null)
        {
            // The caller is a worker thread already (the session activity): waiting here blocks no request thread.
            ForwardAsync(generator, onDelta, cancellationToken).GetAwaiter().GetResult();
        }

        var result = generator.Completion.GetAwaiter().GetResult();
        span?.SetTag("gpt4roi.generated_tokens", result.GeneratedTokenIds.Count);
        return new ConversationTurnResult(first, result, replayMs, total.Elapsed.TotalMilliseconds);
    }

    private static async Task ForwardAsync(Generator generator, Action<AnswerDelta> onDelta, CancellationToken cancellationToken)
    {
        await foreach (var t in generator.ReadTokensAsync(cancellationToken).ConfigureAwait(false))
        {
            if (t.AnswerDelta.Length > 0)
            {
                onDelta(new AnswerDelta(t.TokenId, t.AnswerDelta));
            }
        }
    }
}
