using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GPT4RoI.Core.Contracts;
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
    /// <summary>Answers one question.</summary>
    /// <exception cref="Gpt4RoIException">The image, a box, the question or the settings were refused, or the service is busy.</exception>
    public async Task<QueryAnswer> AskAsync(QueryInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => Answer(input, onToken: null, cancellationToken), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers one question as a stream: an <see cref="AnswerDelta"/> per token that adds visible text, then one
    /// <see cref="QueryCompleted"/>. Generation runs on a worker and does not wait for the reader: a slow reader holds
    /// no engine slot, and the admission slot is given back as soon as generation ends. A failure before or during
    /// generation is thrown from the enumeration, after the events produced so far.
    /// </summary>
    /// <exception cref="Gpt4RoIException">The image, a box, the question or the settings were refused, or the service is busy.</exception>
    public async IAsyncEnumerable<QueryEvent> StreamAsync(QueryInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        var events = Channel.CreateUnbounded<QueryEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var work = Task.Run(() =>
        {
            using (lease)
            {
                try
                {
                    var answer = Answer(input, t =>
                    {
                        if (t.AnswerDelta.Length > 0)
                        {
                            events.Writer.TryWrite(new AnswerDelta(t.TokenId, t.AnswerDelta));
                        }
                    }, cancellationToken);
                    events.Writer.TryWrite(new QueryCompleted(answer));
                }
                finally
                {
                    events.Writer.Complete();
                }
            }
        }, CancellationToken.None);
        // A reader that stops early leaves the worker to finish alone; observe its outcome so nothing goes unobserved.
        _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        await foreach (var e in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }

        await work.ConfigureAwait(false);
    }

    private QueryAnswer Answer(QueryInput input, Action<TokenEvent>? onToken, CancellationToken cancellationToken)
    {
        using var image = ImageDecoder.Decode(input.Image, input.ImageName, imageLimits);
        using var session = engine.StartSession(image, cancellationToken: cancellationToken);
        var result = session.Ask(input.Question, input.Regions, input.Generation, onToken, cancellationToken: cancellationToken);
        return new QueryAnswer(TurnResult.From(input.Question, input.Regions, 1, result),
            new ImageSummary(image.Sha256, image.Width, image.Height), engine.ModelInfo);
    }
}
