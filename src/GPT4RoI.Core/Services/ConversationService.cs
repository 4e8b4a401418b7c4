using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>
/// Continues a stored conversation: rebuilds it from the image and the turns answered before (their recorded answers,
/// no generation) and answers the next question. The durable sessions call it once per turn, so a turn needs nothing
/// but the stored image and transcript.
/// </summary>
public sealed class ConversationService(Gpt4RoIEngine engine, ImageLimits imageLimits)
{
    /// <summary>Answers the next question of a conversation; null <paramref name="options"/> takes the model's decoding defaults.</summary>
    /// <exception cref="Gpt4RoIException">The image, a box or the question was refused.</exception>
    public ConversationTurnResult AnswerNext(ReadOnlyMemory<byte> image, string imageName, IEnumerable<RecordedTurn> history,
        string question, IReadOnlyList<BoundingBox> regions, GenerationOptions? options, CancellationToken cancellationToken = default)
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
        var result = session.Ask(question, regions, options, cancellationToken: cancellationToken);
        span?.SetTag("gpt4roi.generated_tokens", result.GeneratedTokenIds.Count);
        return new ConversationTurnResult(first, result, replayMs, total.Elapsed.TotalMilliseconds);
    }
}
