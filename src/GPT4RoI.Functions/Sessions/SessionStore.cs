using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// The session blobs (<c>sessions/{id}/image</c>, <c>sessions/{id}/transcript.json</c>) and the work of the session
/// activities. Transcript writes are conditional on the ETag read, so a DELETE or an expiry racing a turn is never
/// overwritten.
/// </summary>
public sealed class SessionStore(StorageClients storage, ConversationService conversations, TurnStreams streams, TurnStops stops,
    IOptions<FunctionsOptions> options, ILogger<SessionStore> logger)
{
    private const int MaxWriteAttempts = 8;

    public async Task CreateAsync(SessionTranscript transcript, byte[] image, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        await storage.Sessions.GetBlobClient(SessionNames.Image(transcript.Id)).UploadAsync(new BinaryData(image), overwrite: false, ct).ConfigureAwait(false);
        await storage.Sessions.GetBlobClient(SessionNames.Transcript(transcript.Id))
            .UploadAsync(BinaryData.FromBytes(Serialize(transcript)), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, ct).ConfigureAwait(false);
    }

    /// <summary>The transcript and its ETag, or null when there is none.</summary>
    public async Task<(SessionTranscript Transcript, ETag ETag)?> ReadAsync(string id, CancellationToken ct = default)
    {
        try
        {
            var content = await storage.Sessions.GetBlobClient(SessionNames.Transcript(id)).DownloadContentAsync(ct).ConfigureAwait(false);
            var t = JsonSerializer.Deserialize<SessionTranscript>(content.Value.Content.ToMemory().Span, ContractJson.Options)
                ?? throw new InvalidDataException($"transcript of session {id} is null");
            return (t, content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Applies <paramref name="change"/> to the transcript with a write conditional on its ETag, reading
    /// again on a conflict. <paramref name="change"/> returns null to write nothing. Returns the transcript as
    /// stored afterwards, or null when there is none.</summary>
    public async Task<SessionTranscript?> UpdateAsync(string id, Func<SessionTranscript, SessionTranscript?> change, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            if (await ReadAsync(id, ct).ConfigureAwait(false) is not { } read)
            {
                return null;
            }

            if (change(read.Transcript) is not { } updated)
            {
                return read.Transcript;
            }

            try
            {
                await storage.Sessions.GetBlobClient(SessionNames.Transcript(id)).UploadAsync(BinaryData.FromBytes(Serialize(updated)), new BlobUploadOptions
                {
                    Conditions = new BlobRequestConditions { IfMatch = read.ETag },
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                }, ct).ConfigureAwait(false);
                return updated;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxWriteAttempts)
            {
                Logs.TranscriptConflict(logger, id);
            }
        }
    }

    /// <summary>The session's image bytes, or null when the blob is gone.</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadImageAsync(string id, CancellationToken ct = default)
    {
        try
        {
            return (await storage.Sessions.GetBlobClient(SessionNames.Image(id)).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToMemory();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task DeleteImageAsync(string id, CancellationToken ct = default) =>
        await storage.Sessions.GetBlobClient(SessionNames.Image(id)).DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false);

    /// <summary>The answer so far of a streamed turn relayed from another instance, or null when there is none (yet).</summary>
    public async Task<string?> ReadPartialAnswerAsync(string id, string turnId, CancellationToken ct = default)
    {
        try
        {
            var content = await storage.Sessions.GetBlobClient(SessionNames.PartialAnswer(id, turnId)).DownloadContentAsync(ct).ConfigureAwait(false);
            return content.Value.Content.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Asks the answer of a turn to stop: in memory when this process answers it, and through storage for the
    /// instance that does (or will: a turn still queued stops after its first token). True when it was stopped here.</summary>
    public async Task<bool> RequestStopAsync(string id, string turnId, CancellationToken ct = default)
    {
        var here = stops.Stop(turnId);
        await storage.Sessions.GetBlobClient(SessionNames.StopRequest(id, turnId)).UploadAsync(BinaryData.FromString(DateTimeOffset.UtcNow.ToString("O")),
            overwrite: true, ct).ConfigureAwait(false);
        return here;
    }

    private async Task<bool> StopRequestedAsync(string id, string turnId, CancellationToken ct)
    {
        try
        {
            return (await storage.Sessions.GetBlobClient(SessionNames.StopRequest(id, turnId)).ExistsAsync(ct).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex)
        {
            Logs.StopWatchFailed(logger, ex, id, turnId);
            return false;
        }
    }

    /// <summary>While a turn is answered, looks for its stop request in storage every poll interval.</summary>
    private async Task WatchStopRequestAsync(string id, string turnId, RunningTurn running, CancellationToken answering)
    {
        var request = storage.Sessions.GetBlobClient(SessionNames.StopRequest(id, turnId));
        try
        {
            while (!running.StopRequested.IsCancellationRequested)
            {
                await Task.Delay(options.Value.SessionPollInterval, answering).ConfigureAwait(false);
                if ((await request.ExistsAsync(answering).ConfigureAwait(false)).Value)
                {
                    running.Stop();
                }
            }
        }
        catch (OperationCanceledException) when (answering.IsCancellationRequested)
        {
            // The answer is recorded.
        }
        catch (RequestFailedException ex)
        {
            // Storage trouble: only a stop from another instance is lost; the answer goes on.
            Logs.StopWatchFailed(logger, ex, id, turnId);
        }
    }

    /// <summary>Deletes the stop request of a turn that was stopped (every stop request writes one).</summary>
    private async Task DeleteStopRequestAsync(string id, string turnId)
    {
        try
        {
            await storage.Sessions.GetBlobClient(SessionNames.StopRequest(id, turnId)).DeleteIfExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            // Left for the session's clean-up (expiry or deletion); it is never read once the turn is recorded.
            Logs.StopWatchFailed(logger, ex, id, turnId);
        }
    }

    /// <summary>Deletes a session's per-turn working files (relayed answers, stop requests) that an activity that did not
    /// finish left behind.</summary>
    public async Task DeleteTurnFilesAsync(string id, CancellationToken ct = default)
    {
        await foreach (var blob in storage.Sessions.GetBlobsAsync(BlobTraits.None, BlobStates.None, SessionNames.TurnFiles(id), ct).ConfigureAwait(false))
        {
            await storage.Sessions.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Activity AnswerTurn: rebuilds the conversation from the transcript (earlier questions, boxes and recorded
    /// answers, no generation), asks the new question and appends the turn (answer or error) to the transcript.
    /// Idempotent: a turn id already in the transcript is not answered again.
    /// </summary>
    public async Task<TurnSummary> AnswerTurnAsync(AnswerTurnInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (id, turn) = (input.SessionId, input.Turn);
        if (await ReadAsync(id, ct).ConfigureAwait(false) is not { } read)
        {
            return new TurnSummary(turn.TurnId, false, ErrorCode.SessionNotFound, 0, SessionStates.Deleted);
        }

        var transcript = read.Transcript;
        if (transcript.Turns.Find(t => t.TurnId == turn.TurnId) is { } done)
        {
            return Summary(transcript, done);
        }

        if (transcript.State != SessionStates.Active)
        {
            return new TurnSummary(turn.TurnId, false, StateError(transcript.State), transcript.Turns.Count, transcript.State);
        }

        byte[] imageBytes;
        try
        {
            imageBytes = (await storage.Sessions.GetBlobClient(SessionNames.Image(id)).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new TurnSummary(turn.TurnId, false, ErrorCode.ImageMissing, transcript.Turns.Count, SessionStates.Deleted);
        }

        // The request that raised the turn may listen in this process: it gets the tokens as they come. A streamed
        // turn whose request is elsewhere gets its answer relayed through storage.
        var tokens = streams.Claim(turn.TurnId);
        var relay = tokens is null && turn.Stream
            ? new PartialAnswerWriter(storage.Sessions.GetBlobClient(SessionNames.PartialAnswer(id, turn.TurnId)), options.Value.SessionPollInterval,
                ex => Logs.PartialAnswerRelayFailed(logger, ex, id, turn.TurnId))
            : null;
        Action<AnswerDelta>? onDelta = tokens is not null ? d => tokens.TryWrite(d) : relay is not null ? relay.Add : null;
        // A stop request reaches the answer in memory when it arrives in this process, else through storage.
        using var running = stops.Start(turn.TurnId);
        using var answering = new CancellationTokenSource();
        var watcher = WatchStopRequestAsync(id, turn.TurnId, running, answering.Token);
        // A stop requested while the turn was queued is seen before the answer starts.
        if (await StopRequestedAsync(id, turn.TurnId, ct).ConfigureAwait(false))
        {
            running.Stop();
        }

        try
        {
            var record = await Task.Run(() => Answer(id, transcript, imageBytes, turn, onDelta, running.StopRequested, ct), ct).ConfigureAwait(false);
            relay?.Flush();
            var stored = await UpdateAsync(id, t =>
                t.State != SessionStates.Active || t.Turns.Exists(x => x.TurnId == turn.TurnId)
                    ? null
                    : t with { Turns = [.. t.Turns, record], UpdatedUtc = DateTimeOffset.UtcNow }, ct).ConfigureAwait(false);
            if (stored is null)
            {
                return new TurnSummary(turn.TurnId, false, ErrorCode.SessionNotFound, 0, SessionStates.Deleted);
            }

            var mine = stored.Turns.Find(x => x.TurnId == turn.TurnId);
            return mine is null
                ? new TurnSummary(turn.TurnId, false, StateError(stored.State), stored.Turns.Count, stored.State)
                : Summary(stored, mine);
        }
        finally
        {
            // After the transcript write: the listener reads the recorded turn as soon as its tokens end.
            tokens?.TryComplete();
            await answering.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false);
            if (running.StopRequested.IsCancellationRequested)
            {
                await DeleteStopRequestAsync(id, turn.TurnId).ConfigureAwait(false);
            }
            if (relay is not null)
            {
                await relay.DeleteAsync().ConfigureAwait(false);
            }
        }
    }

    private static TurnSummary Summary(SessionTranscript t, SessionTurn turn) =>
        new(turn.TurnId, turn.Error is null, turn.Error?.Code, t.Turns.Count, t.State);

    private SessionTurn Answer(string id, SessionTranscript transcript, byte[] imageBytes, TurnEvent turn, Action<AnswerDelta>? onDelta,
        CancellationToken stopRequested, CancellationToken ct)
    {
        var failed = new SessionTurn
        {
            TurnId = turn.TurnId,
            Question = turn.Question,
            Regions = [.. (turn.Regions ?? []).Select(r => new SessionRegion(null, r))],
            SubmittedUtc = turn.SubmittedUtc,
            CompletedUtc = DateTimeOffset.UtcNow,
        };
        var history = transcript.Turns
            .Where(t => t.Error is null && t.Answer is not null)
            .Select(t => new RecordedTurn(t.Question, BoundingBox.FromArrays([.. t.Regions.Select(r => r.Box)]), t.Answer!));
        try
        {
            var next = conversations.AnswerNext(imageBytes, SessionNames.Image(id), history, turn.Question,
                BoundingBox.FromArrays(turn.Regions), null, onDelta, stopRequested, ct);
            var r = next.Result;
            return failed with
            {
                Regions = [.. (turn.Regions ?? []).Select((b, k) => new SessionRegion(next.FirstRegion + k, b))],
                Answer = r.Answer,
                StopReason = r.StopReason.ToString(),
                PromptTokens = r.PromptTokenIds.Count,
                GeneratedTokens = r.GeneratedTokenIds.Count,
                CompletedUtc = DateTimeOffset.UtcNow,
                TimingsMs = new()
                {
                    ["replay"] = Math.Round(next.ReplayMilliseconds, 2),
                    ["prefill"] = Math.Round(r.PrefillMilliseconds, 2),
                    ["decode"] = Math.Round(r.DecodeMilliseconds, 2),
                    ["total"] = Math.Round(next.TotalMilliseconds, 2),
                },
            };
        }
        catch (Gpt4RoIException ex) when (ex.Code is ErrorCode.InvalidQuestion or ErrorCode.InvalidRegion or ErrorCode.LimitExceeded)
        {
            Logs.SessionTurnRejected(logger, id, turn.TurnId, ex.Message);
            return failed with { Error = ErrorInfo.From(ex), CompletedUtc = DateTimeOffset.UtcNow };
        }
    }

    /// <summary>Activity ExpireSession: marks the transcript expired (unless deleted) and deletes the image.</summary>
    public async Task<string> ExpireAsync(string id, CancellationToken ct = default)
    {
        var now = DateTimeOffset.UtcNow;
        var t = await UpdateAsync(id, t => t.State == SessionStates.Active
            ? t with { State = SessionStates.Expired, ExpiredUtc = now, UpdatedUtc = now }
            : null, ct).ConfigureAwait(false);
        await DeleteImageAsync(id, ct).ConfigureAwait(false);
        await DeleteTurnFilesAsync(id, ct).ConfigureAwait(false);
        return t?.State ?? SessionStates.Deleted;
    }

    public static byte[] Serialize(SessionTranscript t) => JsonSerializer.SerializeToUtf8Bytes(t, ContractJson.Options);

    private static ErrorCode StateError(string state) =>
        state == SessionStates.Expired ? ErrorCode.SessionExpired : ErrorCode.SessionNotFound;
}
