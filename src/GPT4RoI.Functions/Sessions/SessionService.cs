using System.Security.Cryptography;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// The sessions: create (image + optional first turn), submit a turn, read, delete. Requests arrive parsed; boxes and
/// questions are checked for shape here and for content by the engine in the AnswerTurn activity, whose outcome is
/// recorded in the transcript.
/// </summary>
public sealed class SessionService(SessionStore store, IOptions<FunctionsOptions> options, ILogger<SessionService> logger) : ISessionService
{
    private FunctionsOptions O => options.Value;

    /// <inheritdoc />
    public async Task<SessionCreated> CreateAsync(QueryRequest request, byte[] image, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(client);
        if (request.Generation is not null || request.Stream)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "sessions answer greedily and do not stream: leave out 'generation' and 'stream'");
        }

        var hasQuestion = request.Question is not null;
        if (!hasQuestion && request.Regions is { Count: > 0 })
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "regions are given with the question that names them");
        }

        var regions = CheckedRegions(request.Regions);
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
        var first = hasQuestion ? await SubmitAndWaitAsync(client, id, request.Question!, regions, ct).ConfigureAwait(false) : null;
        return new SessionCreated(id, first);
    }

    /// <inheritdoc />
    public async Task<TurnSubmitted> SubmitTurnAsync(string id, TurnRequest request, DurableTaskClient client, CancellationToken ct)
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

        return await SubmitAndWaitAsync(client, id, request.Question, regions, ct).ConfigureAwait(false);
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
    }

    /// <summary>Raises the "turn" event and waits up to <see cref="FunctionsOptions.SessionTurnWait"/> for the
    /// transcript to hold its answer or error.</summary>
    private async Task<TurnSubmitted> SubmitAndWaitAsync(DurableTaskClient client, string id, string question, List<double[]> regions, CancellationToken ct)
    {
        var turnId = Guid.NewGuid().ToString("N");
        await client.RaiseEventAsync(id, SessionNames.TurnEvent, new TurnEvent(turnId, question, regions, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + O.SessionTurnWait;
        while (O.SessionTurnWait > TimeSpan.Zero)
        {
            await Task.Delay(O.SessionPollInterval, ct).ConfigureAwait(false);
            if (await store.ReadAsync(id, ct).ConfigureAwait(false) is { } read)
            {
                if (read.Transcript.Turns.Find(t => t.TurnId == turnId) is { } done)
                {
                    return new TurnSubmitted(turnId, done);
                }

                if (read.Transcript.State != SessionStates.Active)
                {
                    break;
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                break;
            }
        }

        return new TurnSubmitted(turnId, null);
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
