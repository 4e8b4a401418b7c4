using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// The sessions: create (image + optional first turn), submit a turn (answered whole or streamed token by token),
/// read, delete. Requests arrive parsed. A new session's image, boxes and first question are checked by the model's
/// rules before it exists; a later turn's boxes are checked for shape here and for content by the engine in the
/// AnswerTurn activity, whose outcome is recorded in the transcript.
/// </summary>
public sealed class SessionService(SessionStore store, ConversationService conversations, TurnStreams streams, IOptions<FunctionsOptions> options,
    ILogger<SessionService> logger) : ISessionService
{
    private FunctionsOptions O => options.Value;

    /// <inheritdoc />
    public async Task<SessionCreated> CreateAsync(QueryRequest request, byte[] image, DurableTaskClient client, CancellationToken ct)
    {
        var (id, regions) = await OpenAsync(request, image, client, ct).ConfigureAwait(false);
        var first = request.Question is not null ? await SubmitAndWaitAsync(client, id, request.Question, regions, ct).ConfigureAwait(false) : null;
        return new SessionCreated(id, first);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionStreamEvent> CreateStreamingAsync(QueryRequest request, byte[] image, DurableTaskClient client,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var (id, regions) = await OpenAsync(request, image, client, ct).ConfigureAwait(false);
        yield return new SessionStarted(id);
        if (request.Question is null)
        {
            yield break;
        }

        await foreach (var e in AskAsync(client, id, request.Question, regions, streamTokens: true, ct).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <inheritdoc />
    public async Task<TurnSubmitted> SubmitTurnAsync(string id, TurnRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var regions = await CheckTurnAsync(id, request, client, ct).ConfigureAwait(false);
        return await SubmitAndWaitAsync(client, id, request.Question!, regions, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionStreamEvent> StreamTurnAsync(string id, TurnRequest request, DurableTaskClient client,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var regions = await CheckTurnAsync(id, request, client, ct).ConfigureAwait(false);
        await foreach (var e in AskAsync(client, id, request.Question!, regions, streamTokens: true, ct).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <summary>Checks a new session's request (the image, the boxes and the first question, as the model will), stores
    /// the image and the empty transcript and starts the orchestration.</summary>
    private async Task<(string Id, List<double[]> Regions)> OpenAsync(QueryRequest request, byte[] image, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(client);
        if (request.Generation is not null)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "sessions answer with the model's decoding defaults: leave out 'generation'");
        }

        if (request.Question is null && request.Regions is { Count: > 0 })
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "regions are given with the question that names them");
        }

        var regions = CheckedRegions(request.Regions);
        // Refused now, as a single query would be, rather than recorded as the failed first turn of a new session.
        conversations.CheckOpening(image, request.ImageBlob ?? "upload", request.Question, BoundingBox.FromArrays(regions));
        var id = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var transcript = new SessionTranscript
        {
            Id = id,
            State = SessionStates.Active,
            Image = new SessionImageInfo(Convert.ToHexStringLower(SHA256.HashData(image)), image.Length, request.ImageBlob),
            CreatedUtc = now,
            UpdatedUtc = now,
        };
        await store.CreateAsync(transcript, image, ct).ConfigureAwait(false);
        await client.ScheduleNewOrchestrationInstanceAsync(SessionNames.Orchestrator,
            new SessionOrchestratorInput(id, O.SessionIdleTimeout, O.SessionTurnsPerHistory),
            new StartOrchestrationOptions { InstanceId = id }, ct).ConfigureAwait(false);
        Logs.SessionCreated(logger, id, image.Length);
        return (id, regions);
    }

    /// <summary>Checks a turn's request and that its session is active and running; returns its boxes.</summary>
    private async Task<List<double[]>> CheckTurnAsync(string id, TurnRequest request, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (request.Question is null)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "the request needs a 'question'");
        }

        var regions = CheckedRegions(request.Regions);
        var transcript = await ActiveAsync(id, ct).ConfigureAwait(false);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (instance is null || instance.IsCompleted)
        {
            throw new Gpt4RoIException(ErrorCode.SessionNotRunning,
                $"session {id} is {transcript.State} but its orchestration is {instance?.RuntimeStatus.ToString() ?? "missing"}");
        }

        return regions;
    }

    /// <inheritdoc />
    public async Task<SessionTurn?> StopTurnAsync(string id, string turnId, CancellationToken ct)
    {
        var transcript = await ActiveAsync(id, ct).ConfigureAwait(false);
        if (!SessionNames.IsValidId(turnId))
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "a turn id is 32 lowercase hex digits");
        }

        if (transcript.Turns.Find(t => t.TurnId == turnId) is { } done)
        {
            return done;
        }

        var here = await store.RequestStopAsync(id, turnId, ct).ConfigureAwait(false);
        Logs.TurnStopRequested(logger, id, turnId, here ? "answered in this process" : "through storage, for the instance that answers it");
        return null;
    }

    /// <inheritdoc />
    public async Task<SessionView> GetAsync(string id, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is not { } read)
        {
            throw NotFound(id);
        }

        // The custom status comes only with the inputs and outputs (both small: ids, questions, boxes).
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        var custom = instance?.SerializedCustomStatus is { } s ? JsonSerializer.Deserialize<JsonElement>(s) : (JsonElement?)null;
        return new SessionView(read.Transcript, instance?.RuntimeStatus.ToString(), custom);
    }

    /// <inheritdoc />
    public async Task<SessionImage> GetImageAsync(string id, CancellationToken ct)
    {
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is not { } read || read.Transcript.State == SessionStates.Deleted)
        {
            throw NotFound(id);
        }

        var gone = new Gpt4RoIException(ErrorCode.ImageMissing, read.Transcript.State == SessionStates.Expired
            ? $"session {id} expired at {read.Transcript.ExpiredUtc:O}; its image was deleted"
            : $"the image of session {id} is gone");
        if (read.Transcript.State == SessionStates.Expired || await store.ReadImageAsync(id, ct).ConfigureAwait(false) is not { } bytes)
        {
            throw gone;
        }

        return new SessionImage(bytes, ImageDecoder.ContentTypeOf(bytes.Span) ?? "application/octet-stream", read.Transcript.Image.Sha256);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string id, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is null)
        {
            throw NotFound(id);
        }

        // The tombstone first: a turn running now then finds the session deleted and writes nothing.
        var now = DateTimeOffset.UtcNow;
        await store.UpdateAsync(id, t => t.State == SessionStates.Deleted ? null : t with { State = SessionStates.Deleted, DeletedUtc = now, UpdatedUtc = now }, ct).ConfigureAwait(false);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (instance is { IsCompleted: false })
        {
            await client.TerminateInstanceAsync(id, new TerminateInstanceOptions { Output = SessionStates.Deleted }, ct).ConfigureAwait(false);
        }

        await store.DeleteImageAsync(id, ct).ConfigureAwait(false);
        await store.DeleteTurnFilesAsync(id, ct).ConfigureAwait(false);
    }

    /// <summary>Submits a turn and waits for it without its tokens: the recorded turn, or null when it is still pending.</summary>
    private async Task<TurnSubmitted> SubmitAndWaitAsync(DurableTaskClient client, string id, string question, List<double[]> regions, CancellationToken ct)
    {
        await foreach (var e in AskAsync(client, id, question, regions, streamTokens: false, ct).ConfigureAwait(false))
        {
            switch (e)
            {
                case TurnRecorded recorded:
                    return new TurnSubmitted(recorded.Turn.TurnId, recorded.Turn);
                case TurnPending pending:
                    return new TurnSubmitted(pending.TurnId, null);
            }
        }

        throw new InvalidOperationException("a turn ends recorded or pending");
    }

    /// <summary>
    /// Raises the "turn" event and follows the turn until the transcript holds its answer or error: the tokens as the
    /// activity produces them when it runs in this process (<paramref name="streamTokens"/>; until the first one, a
    /// <see cref="TurnWaiting"/> every <see cref="FunctionsOptions.SessionProgressInterval"/>), the transcript read every
    /// <see cref="FunctionsOptions.SessionPollInterval"/>, and with it the answer so far that an activity on another
    /// instance relays through storage (<see cref="PartialAnswerWriter"/>). Ends
    /// pending after <see cref="FunctionsOptions.SessionTurnWait"/> without a token or the answer, or when the session
    /// ends first.
    /// </summary>
    private async IAsyncEnumerable<SessionStreamEvent> AskAsync(DurableTaskClient client, string id, string question, List<double[]> regions,
        bool streamTokens, [EnumeratorCancellation] CancellationToken ct)
    {
        var turnId = Guid.NewGuid().ToString("N");
        using var subscription = streamTokens ? streams.Subscribe(turnId) : null;
        await client.RaiseEventAsync(id, SessionNames.TurnEvent, new TurnEvent(turnId, question, regions, DateTimeOffset.UtcNow, streamTokens), ct).ConfigureAwait(false);
        yield return new TurnAccepted(id, turnId);
        var wait = O.SessionTurnWait;
        var accepted = DateTime.UtcNow;
        var deadline = accepted + wait;
        var tokensOpen = subscription is not null;
        var inProcessTokens = false;
        var relayed = "";
        var nextProgress = accepted + O.SessionProgressInterval;
        while (wait > TimeSpan.Zero)
        {
            var nextLook = DateTime.UtcNow + O.SessionPollInterval;
            if (streamTokens && !inProcessTokens && relayed.Length == 0 && DateTime.UtcNow >= nextProgress)
            {
                nextProgress = DateTime.UtcNow + O.SessionProgressInterval;
                yield return new TurnWaiting(id, turnId, DateTime.UtcNow - accepted);
            }

            if (tokensOpen)
            {
                tokensOpen = await WaitForTokensAsync(subscription!.Tokens, O.SessionPollInterval, ct).ConfigureAwait(false);
                var any = false;
                while (subscription.Tokens.TryRead(out var delta))
                {
                    any = true;
                    yield return new TurnDelta(delta.TokenId, delta.Text);
                }

                if (any)
                {
                    // Tokens are progress: the wait starts again.
                    inProcessTokens = true;
                    deadline = DateTime.UtcNow + wait;
                }

                // While tokens flow, the transcript is read at the poll interval; once they end it holds the turn.
                if (tokensOpen && DateTime.UtcNow < nextLook)
                {
                    continue;
                }
            }
            else
            {
                await Task.Delay(O.SessionPollInterval, ct).ConfigureAwait(false);
            }

            if (await store.ReadAsync(id, ct).ConfigureAwait(false) is { } read)
            {
                if (read.Transcript.Turns.Find(t => t.TurnId == turnId) is { } done)
                {
                    yield return new TurnRecorded(id, done);
                    yield break;
                }

                if (read.Transcript.State != SessionStates.Active)
                {
                    break;
                }
            }

            // No token in this process yet: the turn may be answered on another instance, which relays the answer so far.
            // Only text that continues what was sent goes on (a retried attempt starts its answer again); the result
            // is the recorded answer in any case.
            if (streamTokens && !inProcessTokens && await store.ReadPartialAnswerAsync(id, turnId, ct).ConfigureAwait(false) is { } partial
                && partial.Length > relayed.Length && partial.StartsWith(relayed, StringComparison.Ordinal))
            {
                yield return new TurnDelta(null, partial[relayed.Length..]);
                relayed = partial;
                deadline = DateTime.UtcNow + wait;
            }

            if (DateTime.UtcNow >= deadline)
            {
                break;
            }
        }

        yield return new TurnPending(id, turnId);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for tokens; false once the writer completed and all were read.</summary>
    private static async Task<bool> WaitForTokensAsync(ChannelReader<AnswerDelta> tokens, TimeSpan timeout, CancellationToken ct)
    {
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(ct);
        pause.CancelAfter(timeout);
        try
        {
            return await tokens.WaitToReadAsync(pause.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task<SessionTranscript> ActiveAsync(string id, CancellationToken ct)
    {
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is not { } read || read.Transcript.State == SessionStates.Deleted)
        {
            throw NotFound(id);
        }

        if (read.Transcript.State == SessionStates.Expired)
        {
            throw new Gpt4RoIException(ErrorCode.SessionExpired, $"session {id} expired at {read.Transcript.ExpiredUtc:O}; start a new one");
        }

        return read.Transcript;
    }

    /// <summary>The boxes as the turn event carries them, after checking each is four finite numbers.</summary>
    private static List<double[]> CheckedRegions(List<double[]?>? regions)
    {
        var boxes = BoundingBox.FromArrays(regions);
        for (var i = 0; i < boxes.Count; i++)
        {
            if (!boxes[i].ToArray().All(double.IsFinite))
            {
                throw new RegionInputException(i, "every coordinate must be a finite number");
            }
        }

        return [.. boxes.Select(b => b.ToArray())];
    }

    private static Gpt4RoIException NotFound(string id) =>
        new(ErrorCode.SessionNotFound, SessionNames.IsValidId(id) ? $"there is no session '{id}'" : "a session id is 32 lowercase hex digits");
}
