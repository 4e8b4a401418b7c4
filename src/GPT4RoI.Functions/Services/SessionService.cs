using System.Security.Cryptography;
using System.Text.Json;
using GPT4RoI.Core.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Services;

/// <summary>The body of <c>POST /api/sessions/{id}/turns</c>.</summary>
public sealed record TurnRequest
{
    public string? Question { get; init; }
    /// <summary>The boxes this turn introduces, numbered on from the session's earlier regions.</summary>
    public List<double[]>? Regions { get; init; }
}

/// <summary>
/// The session endpoints: create (image + optional first turn), submit a turn, read, delete. Request parsing and
/// problem details are <see cref="QueryService"/>'s; the durable client is the one the function binding passes.
/// </summary>
public sealed class SessionService(SessionStore store, StorageClients storage, IOptions<FunctionsOptions> options) : ISessionService
{
    private FunctionsOptions O => options.Value;

    public async Task<IActionResult> CreateAsync(HttpRequest http, DurableTaskClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var (request, image) = await QueryService.ReadRequestAsync(http, storage, O, questionRequired: false, ct).ConfigureAwait(false);
            if (request.Generation is not null || request.Stream)
            {
                throw new QueryProblemException(400, "unsupported field", "sessions answer greedily and do not stream: leave out 'generation' and 'stream'");
            }

            if (string.IsNullOrWhiteSpace(request.Question) && request.Regions is { Count: > 0 })
            {
                throw new QueryProblemException(400, "regions without a question", "regions are given with the question that names them");
            }

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

            var links = Links(http, id);
            http.HttpContext.Response.Headers.Location = links.StatusUrl;
            if (string.IsNullOrWhiteSpace(request.Question))
            {
                return new JsonResult(new { id, status_url = links.StatusUrl, turns_url = links.TurnsUrl, state = SessionStates.Active }, BoxManifest.JsonOptions) { StatusCode = 201 };
            }

            var turn = await SubmitAndWaitAsync(client, id, request.Question, request.Regions, ct).ConfigureAwait(false);
            return new JsonResult(new
            {
                id,
                status_url = links.StatusUrl,
                turns_url = links.TurnsUrl,
                state = SessionStates.Active,
                turn_id = turn.TurnId,
                turn = turn.Done,
            }, BoxManifest.JsonOptions) { StatusCode = 201 };
        }
        catch (Exception ex) when (QueryService.ToProblem(http, ex) is { } problem)
        {
            return problem;
        }
    }

    public async Task<IActionResult> SubmitTurnAsync(HttpRequest http, DurableTaskClient client, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var request = await ReadTurnAsync(http, ct).ConfigureAwait(false);
            var transcript = await ActiveAsync(id, ct).ConfigureAwait(false);
            var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct).ConfigureAwait(false);
            if (instance is null || instance.IsCompleted)
            {
                throw new QueryProblemException(409, "session not running",
                    $"session {id} is {transcript.State} but its orchestration is {instance?.RuntimeStatus.ToString() ?? "missing"}");
            }

            var turn = await SubmitAndWaitAsync(client, id, request.Question!, request.Regions, ct).ConfigureAwait(false);
            var links = Links(http, id);
            if (turn.Done is null)
            {
                http.HttpContext.Response.Headers.Location = links.StatusUrl;
                return new JsonResult(new { id, turn_id = turn.TurnId, status = "pending", status_url = links.StatusUrl }, BoxManifest.JsonOptions) { StatusCode = 202 };
            }

            if (turn.Done.Error is { } error)
            {
                var problem = (ObjectResult)QueryService.Problem(http, 422, error.Code == "invalid_region" ? "invalid region" : "invalid question", error.Message);
                var details = (ProblemDetails)problem.Value!;
                details.Extensions["turn_id"] = turn.TurnId;
                details.Extensions["code"] = error.Code;
                details.Extensions["status_url"] = links.StatusUrl;
                return problem;
            }

            return new JsonResult(turn.Done, BoxManifest.JsonOptions) { StatusCode = 200 };
        }
        catch (Exception ex) when (QueryService.ToProblem(http, ex) is { } problem)
        {
            return problem;
        }
    }

    public async Task<IActionResult> GetAsync(HttpRequest http, DurableTaskClient client, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(client);
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is not { } read)
        {
            return QueryService.Problem(http, 404, "session not found", $"there is no session '{id}'");
        }

        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        var links = Links(http, id);
        var t = read.Transcript;
        return new JsonResult(new
        {
            t.Id,
            t.State,
            t.Image,
            t.CreatedUtc,
            t.UpdatedUtc,
            t.ExpiredUtc,
            t.DeletedUtc,
            t.Turns,
            runtime_status = instance?.RuntimeStatus.ToString(),
            custom_status = instance?.SerializedCustomStatus is { } s ? JsonSerializer.Deserialize<JsonElement>(s) : (JsonElement?)null,
            status_url = links.StatusUrl,
            turns_url = links.TurnsUrl,
        }, BoxManifest.JsonOptions);
    }

    public async Task<IActionResult> DeleteAsync(HttpRequest http, DurableTaskClient client, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(client);
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is null)
        {
            return QueryService.Problem(http, 404, "session not found", $"there is no session '{id}'");
        }

        // The tombstone first: a turn running now then finds the session deleted and writes nothing.
        var now = DateTimeOffset.UtcNow;
        await store.UpdateAsync(id, t => t.State == SessionStates.Deleted ? null : t with { State = SessionStates.Deleted, DeletedUtc = now, UpdatedUtc = now }, ct).ConfigureAwait(false);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (instance is { IsCompleted: false })
        {
            await client.TerminateInstanceAsync(id, new TerminateInstanceOptions { Output = "deleted" }, ct).ConfigureAwait(false);
        }

        await store.DeleteImageAsync(id, ct).ConfigureAwait(false);
        return new NoContentResult();
    }

    /// <summary>Raises the "turn" event and waits up to <see cref="FunctionsOptions.SessionTurnWait"/> for the
    /// transcript to hold its answer or error.</summary>
    private async Task<(string TurnId, SessionTurn? Done)> SubmitAndWaitAsync(DurableTaskClient client, string id, string question, List<double[]>? regions, CancellationToken ct)
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
                    return (turnId, done);
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

        return (turnId, null);
    }

    private async Task<SessionTranscript> ActiveAsync(string id, CancellationToken ct)
    {
        if (!SessionNames.IsValidId(id) || await store.ReadAsync(id, ct).ConfigureAwait(false) is not { } read || read.Transcript.State == SessionStates.Deleted)
        {
            throw new QueryProblemException(404, "session not found", $"there is no session '{id}'");
        }

        if (read.Transcript.State == SessionStates.Expired)
        {
            throw new QueryProblemException(409, "session expired", $"session {id} expired at {read.Transcript.ExpiredUtc:O}; start a new one");
        }

        return read.Transcript;
    }

    private static async Task<TurnRequest> ReadTurnAsync(HttpRequest http, CancellationToken ct)
    {
        if (http.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new QueryProblemException(415, "unsupported media type", $"send application/json {{question, regions?}}; got '{http.ContentType}'");
        }

        if (http.ContentLength > 64 * 1024)
        {
            throw new QueryProblemException(413, "request too large", $"the body has {http.ContentLength} bytes; the limit is 65536");
        }

        TurnRequest? r;
        try
        {
            using var reader = new StreamReader(http.Body);
            r = JsonSerializer.Deserialize<TurnRequest>(await reader.ReadToEndAsync(ct).ConfigureAwait(false), BoxManifest.JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new QueryProblemException(400, "malformed JSON", ex.Message);
        }

        if (r is null || string.IsNullOrWhiteSpace(r.Question))
        {
            throw new QueryProblemException(400, "missing question", "the request needs a 'question'");
        }

        if (r.Regions?.Any(b => b is null || b.Length != 4 || b.Any(v => !double.IsFinite(v))) == true)
        {
            throw new QueryProblemException(400, "bad regions", "every region must be [x1, y1, x2, y2] in pixels");
        }

        return r;
    }

    private static (string StatusUrl, string TurnsUrl) Links(HttpRequest http, string id)
    {
        var root = http.Host.HasValue ? $"{http.Scheme}://{http.Host}{http.PathBase}" : "";
        var status = $"{root}/api/sessions/{id}";
        return (status, status + "/turns");
    }
}
