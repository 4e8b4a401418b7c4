using System.Diagnostics;
using System.Runtime.CompilerServices;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>
/// Answers single questions about an image: decode (with <see cref="ImageLimits"/>), encode (feature cache), ask. The
/// command line's <c>ask</c> and the HTTP query endpoint call it with the same typed input and get the same answer.
/// Admission (<see cref="QueryAdmission"/>) bounds how many run or wait at once.
/// </summary>
public sealed class QueryService(Gpt4RoIEngine engine, ImageLimits imageLimits, QueryAdmission admission)
{
    /// <summary>The decoding settings of a question that gives none (the model's, from its manifest); a request's own
    /// settings fill their unset fields from these (<see cref="GenerationSettings.ToOptions(GenerationOptions)"/>).</summary>
    public GenerationOptions DefaultGeneration => engine.DefaultGeneration;

    /// <summary>Answers one question.</summary>
    /// <exception cref="Gpt4RoIException">The image, a box, the question or the settings were refused, or the service is busy.</exception>
    public async Task<QueryAnswer> AskAsync(QueryInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = StartSpan(input, stream: false);
        try
        {
            using var lease = await EnterAsync(cancellationToken).ConfigureAwait(false);
            var turn = await Task.Run(() => Start(input, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            var answer = turn.Answer(await turn.Generator.Completion.ConfigureAwait(false));
            span?.SetTag("gpt4roi.generated_tokens", answer.GeneratedTokens);
            return answer;
        }
        catch (Exception ex) when (span is not null)
        {
            Fail(span, ex);
            throw;
        }
    }

    /// <summary>
    /// Answers one question as a stream: an <see cref="AnswerDelta"/> per token that adds visible text, then one
    /// <see cref="QueryCompleted"/>. Generation runs in the engine's decode loop and does not wait for the reader: a
    /// slow reader holds no engine slot, and the admission slot is given back as soon as generation ends. A failure
    /// before or during generation is thrown from the enumeration, after the events produced so far.
    /// </summary>
    /// <exception cref="Gpt4RoIException">The image, a box, the question or the settings were refused, or the service is busy.</exception>
    public async IAsyncEnumerable<QueryEvent> StreamAsync(QueryInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = StartSpan(input, stream: true);
        IDisposable lease;
        Turn turn;
        try
        {
            lease = await EnterAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                turn = await Task.Run(() => Start(input, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (span is not null)
        {
            Fail(span, ex);
            throw;
        }

        // The admission slot follows the generation, not the reader.
        _ = turn.Generator.Completion.ContinueWith(_ => lease.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await foreach (var t in turn.Generator.ReadTokensAsync(cancellationToken).ConfigureAwait(false))
        {
            if (t.AnswerDelta.Length > 0)
            {
                yield return new AnswerDelta(t.TokenId, t.AnswerDelta);
            }
        }

        var answer = turn.Answer(await turn.Generator.Completion.ConfigureAwait(false));
        span?.SetTag("gpt4roi.generated_tokens", answer.GeneratedTokens);
        yield return new QueryCompleted(answer);
    }

    private static Activity? StartSpan(QueryInput input, bool stream)
    {
        var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.QuerySpan);
        span?.SetTag("gpt4roi.regions", input.Regions.Count);
        span?.SetTag("gpt4roi.stream", stream);
        return span;
    }

    private static void Fail(Activity span, Exception ex) =>
        span.SetStatus(ActivityStatusCode.Error, ex is Gpt4RoIException g ? g.Code.ToString() : ex.GetType().Name);

    /// <summary>Admission, with the time it took recorded as <see cref="Gpt4RoITelemetry.QueueWait"/>.</summary>
    private async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        Gpt4RoITelemetry.QueueWait.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Gpt4RoITelemetry.AdmissionQueue);
        return lease;
    }

    /// <summary>Decodes and encodes the image and starts the answer.</summary>
    private Turn Start(QueryInput input, CancellationToken cancellationToken)
    {
        using var image = ImageDecoder.Decode(input.Image, input.ImageName, imageLimits);
        var session = engine.StartSession(image, cancellationToken: cancellationToken);
        var generator = session.StartTurn(input.Question, input.Regions, input.Generation, cancellationToken: cancellationToken);
        var summary = new ImageSummary(image.Sha256, image.Width, image.Height);
        return new Turn(generator, r => new QueryAnswer(TurnResult.From(input.Question, input.Regions, 1, r), summary, engine.ModelInfo));
    }

    private sealed record Turn(Generator Generator, Func<GenerationResult, QueryAnswer> Answer);
}
