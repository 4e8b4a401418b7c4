using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace GPT4RoI.Functions.Functions;

/// <summary>Multi-turn sessions over HTTP: each endpoint reads its request, calls <see cref="ISessionService"/> with
/// the durable client the binding passes, and writes the answer: JSON, or server-sent events when asked for
/// (<c>"stream": true</c> or <c>Accept: text/event-stream</c>), which carry the same documents as the JSON answers.</summary>
public sealed class SessionFunctions(ISessionService sessions, HttpRequestReader reader, InboxImages inbox, Lazy<DescribeService> describe,
    SseWriter sse, ILogger<SessionFunctions> logger)
{
    /// <summary><c>POST /api/sessions</c>: an image (upload or <c>image_blob</c>) and an optional first question.</summary>
    [Function("CreateSession")]
    public Task<IActionResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var (body, upload) = await reader.ReadQueryAsync(request, cancellationToken).ConfigureAwait(false);
            var image = upload ?? await inbox.ReadAsync(body.ImageBlob, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DescribedObject>? detections = null;
            if (body.Detect)
            {
                // Detected regions open the session: <region1>.. in detection order, then the given boxes; the first
                // question names them and later turns refer to them by number.
                if (string.IsNullOrWhiteSpace(body.Question))
                {
                    throw new Gpt4RoIException(ErrorCode.InvalidRequest, "'detect' needs the first 'question', which names the detected regions");
                }

                detections = describe.Value.DetectRegions(image, body.ImageBlob ?? "upload");
                body = body with { Detect = false, Regions = [.. detections.Select(d => d.Box), .. body.Regions ?? []] };
            }

            SessionLinks Links(string id) => SessionLinks.For(request, id);

            // The first event is formatted before the response starts: the stream says where the session is, as 201 does.
            object Started(string id)
            {
                request.HttpContext.Response.Headers.Location = Links(id).Status;
                return Created(Links(id), id, null, null, detections);
            }

            if (body.Question is not null && SseWriter.Wanted(request, body.Stream))
            {
                await sse.WriteAsync(request.HttpContext.Response, sessions.CreateStreamingAsync(body, image, client, cancellationToken), e => e switch
                {
                    SessionStarted s => new SseEvent("session", Started(s.SessionId)),
                    TurnRecorded r => new SseEvent("result", Created(Links(r.SessionId), r.SessionId, r.Turn.TurnId, r.Turn, detections)),
                    _ => TurnEventOf(e, Links),
                }, cancellationToken).ConfigureAwait(false);
                return new EmptyResult();
            }

            var created = await sessions.CreateAsync(body, image, client, cancellationToken).ConfigureAwait(false);
            var links = Links(created.Id);
            request.HttpContext.Response.Headers.Location = links.Status;
            return new JsonResult(Created(links, created.Id, created.FirstTurn?.TurnId, created.FirstTurn?.Done, detections), ContractJson.Options)
            {
                StatusCode = StatusCodes.Status201Created,
            };
        });

    /// <summary><c>POST /api/sessions/{id}/turns</c>: the next question with its new boxes.</summary>
    [Function("SubmitTurn")]
    public Task<IActionResult> SubmitTurnAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions/{id}/turns")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var body = await reader.ReadJsonAsync<TurnRequest>(request, cancellationToken).ConfigureAwait(false);
            var links = SessionLinks.For(request, id);
            if (SseWriter.Wanted(request, body.Stream))
            {
                await sse.WriteAsync(request.HttpContext.Response, sessions.StreamTurnAsync(id, body, client, cancellationToken), e => e switch
                {
                    TurnRecorded { Turn.Error: { } error } r => new SseEvent("error", RefusedTurn(error, r.Turn.TurnId, links)),
                    TurnRecorded r => new SseEvent("result", r.Turn),
                    _ => TurnEventOf(e, _ => links),
                }, cancellationToken).ConfigureAwait(false);
                return new EmptyResult();
            }

            var turn = await sessions.SubmitTurnAsync(id, body, client, cancellationToken).ConfigureAwait(false);
            if (turn.Done is null)
            {
                request.HttpContext.Response.Headers.Location = links.Status;
                return new JsonResult(Pending(id, turn.TurnId, links), ContractJson.Options) { StatusCode = StatusCodes.Status202Accepted };
            }

            if (turn.Done.Error is { } error)
            {
                // The turn was recorded as refused: say why, and where the transcript is.
                var problem = ProblemResults.Of(request, error.Code, error.Message);
                var details = (ProblemDetails)problem.Value!;
                details.Extensions["turn_id"] = turn.TurnId;
                details.Extensions["status_url"] = links.Status;
                return problem;
            }

            return new JsonResult(turn.Done, ContractJson.Options);
        });

    /// <summary><c>POST /api/sessions/{id}/turns/{turnId}/stop</c>: the answer of a turn ends where it is; its text so far
    /// is recorded as the answer (stop reason <c>Stopped</c>).</summary>
    [Function("StopTurn")]
    public Task<IActionResult> StopTurnAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions/{id}/turns/{turnId}/stop")] HttpRequest request,
        string id, string turnId, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var done = await sessions.StopTurnAsync(id, turnId, cancellationToken).ConfigureAwait(false);
            if (done is not null)
            {
                // Already answered: nothing to stop.
                return new JsonResult(done, ContractJson.Options);
            }

            var links = SessionLinks.For(request, id);
            request.HttpContext.Response.Headers.Location = links.Status;
            return new JsonResult(new { id, turn_id = turnId, status = "stopping", status_url = links.Status }, ContractJson.Options)
            {
                StatusCode = StatusCodes.Status202Accepted,
            };
        });

    /// <summary><c>GET /api/sessions/{id}</c>: transcript, state and orchestration status.</summary>
    [Function("GetSession")]
    public Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sessions/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var view = await sessions.GetAsync(id, client, cancellationToken).ConfigureAwait(false);
            var links = SessionLinks.For(request, id);
            var t = view.Transcript;
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
                runtime_status = view.RuntimeStatus,
                custom_status = view.CustomStatus,
                status_url = links.Status,
                turns_url = links.Turns,
            }, ContractJson.Options);
        });

    /// <summary><c>GET /api/sessions/{id}/image</c>: the session's image as uploaded (while the session keeps it), so a
    /// browser that did not keep it can show the conversation again.</summary>
    [Function("GetSessionImage")]
    public Task<IActionResult> GetImageAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sessions/{id}/image")] HttpRequest request,
        string id, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var image = await sessions.GetImageAsync(id, cancellationToken).ConfigureAwait(false);
            var headers = request.HttpContext.Response.Headers;
            // The image of a session never changes; it is the user's, so no shared caches.
            headers.CacheControl = "private, max-age=3600";
            headers.XContentTypeOptions = "nosniff";
            return new FileContentResult(image.Content.ToArray(), image.ContentType)
            {
                EntityTag = new EntityTagHeaderValue($"\"{image.Sha256}\""),
            };
        });

    /// <summary><c>DELETE /api/sessions/{id}</c>: ends the session; the transcript stays as a tombstone.</summary>
    [Function("DeleteSession")]
    public Task<IActionResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "sessions/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            await sessions.DeleteAsync(id, client, cancellationToken).ConfigureAwait(false);
            return new NoContentResult();
        });

    /// <summary>The body of a created session (201, and the "session" and "result" events of a streamed creation).</summary>
    private static object Created(SessionLinks links, string id, string? turnId, SessionTurn? turn, IReadOnlyList<DescribedObject>? detections) => new
    {
        id,
        status_url = links.Status,
        turns_url = links.Turns,
        state = SessionStates.Active,
        turn_id = turnId,
        turn,
        detections,
    };

    /// <summary>The body of a turn not answered within the wait (202, and the "pending" event).</summary>
    private static object Pending(string id, string turnId, SessionLinks links) => new { id, turn_id = turnId, status = "pending", status_url = links.Status };

    /// <summary>The "error" event of a streamed turn the model refused: the problem fields the JSON answer has.</summary>
    private static object RefusedTurn(ErrorInfo error, string turnId, SessionLinks links)
    {
        var (status, title) = ProblemResults.Describe(error.Code);
        return new { status, code = ErrorCodeJsonConverter.WireName(error.Code), title, detail = error.Message, turn_id = turnId, status_url = links.Status };
    }

    /// <summary>The events every streamed turn shares: accepted, waiting, a token, pending.</summary>
    private static SseEvent TurnEventOf(SessionStreamEvent e, Func<string, SessionLinks> links) => e switch
    {
        TurnAccepted a => new SseEvent("turn", new { id = a.SessionId, turn_id = a.TurnId, status_url = links(a.SessionId).Status }),
        TurnDelta d => new SseEvent("token", new { id = d.TokenId, text = d.Text }),
        TurnPending p => new SseEvent("pending", Pending(p.SessionId, p.TurnId, links(p.SessionId))),
        TurnWaiting w => new SseEvent("waiting", new { id = w.SessionId, turn_id = w.TurnId, waited_ms = (long)w.Waited.TotalMilliseconds }),
        _ => throw new InvalidOperationException($"unexpected event {e.GetType().Name}"),
    };
}
