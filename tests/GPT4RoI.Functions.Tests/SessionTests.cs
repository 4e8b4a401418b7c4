using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

using static GPT4RoI.Functions.Tests.HttpTestRequests;

namespace GPT4RoI.Functions.Tests;

/// <summary>
/// Durable sessions: the real orchestrator and activities in the in-process durable test host, the real engine
/// (tiny model) and real Azurite blobs; the HTTP service is called with the host's DurableTaskClient, as the
/// [DurableClient] binding passes one in production.
/// </summary>
[Collection("azurite")]
public sealed class SessionTests(AzuriteFixture fx)
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static byte[] SampleImage => File.ReadAllBytes(RepoPaths.SampleImage);

    private SessionStore Store => fx.Services.GetRequiredService<SessionStore>();

    private Task<DurableTaskTestHost> StartHostAsync() => TestSessions.StartDurableHostAsync(Store);

    private SessionFunctions Service(TimeSpan? wait = null, TimeSpan? idle = null, int turnsPerHistory = 20, TimeSpan? progress = null) =>
        TestSessions.Functions(fx.Services, new FunctionsOptions
        {
            SessionTurnWait = wait ?? Patience,
            SessionIdleTimeout = idle ?? TimeSpan.FromMinutes(30),
            SessionPollInterval = TimeSpan.FromMilliseconds(50),
            SessionProgressInterval = progress ?? TimeSpan.FromSeconds(5),
            SessionTurnsPerHistory = turnsPerHistory,
        });

    private static HttpRequest Json(string body, string path = "/api/sessions") => HttpTestRequests.Json(body, path);

    private static HttpRequest Multipart(byte[] image, string? requestJson) => HttpTestRequests.Multipart(image, requestJson, "/api/sessions");

    private static HttpRequest Get(string id, string method = "GET")
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Method = method;
        ctx.Request.Path = "/api/sessions/" + id;
        return ctx.Request;
    }

    private static async Task<string> CreateAsync(SessionFunctions service, DurableTaskClient client, string? first = null)
    {
        var r = await service.CreateAsync(Multipart(SampleImage, first), client, default);
        Assert.Equal(201, Status(r));
        return Value(r).GetProperty("id").GetString()!;
    }

    private static async Task<IActionResult> TurnAsync(SessionFunctions service, DurableTaskClient client, string id, string body) =>
        await service.SubmitTurnAsync(Json(body, $"/api/sessions/{id}/turns"), client, id, default);

    [Fact]
    public async Task ThreeTurns_AnsweredInOrder_TranscriptNumbersRegions()
    {
        await using var host = await StartHostAsync();
        var service = Service();
        var created = await service.CreateAsync(Multipart(SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}"""), host.Client, default);
        Assert.Equal(201, Status(created));
        var v = Value(created);
        var id = v.GetProperty("id").GetString()!;
        Assert.Equal(32, id.Length);
        Assert.Equal($"/api/sessions/{id}", v.GetProperty("status_url").GetString());
        Assert.Equal($"/api/sessions/{id}/turns", v.GetProperty("turns_url").GetString());
        Assert.Equal("a red circle", v.GetProperty("turn").GetProperty("answer").GetString());

        var t2 = await TurnAsync(service, host.Client, id, """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""");
        Assert.Equal(200, Status(t2));
        Assert.Equal("green", Value(t2).GetProperty("answer").GetString());
        var t3 = await TurnAsync(service, host.Client, id, """{"question": "Where is <region3> relative to <region1>?", "regions": [[396,130,476,212]]}""");
        Assert.Equal(200, Status(t3));
        Assert.Equal("right of", Value(t3).GetProperty("answer").GetString());

        var (transcript, _) = (await Store.ReadAsync(id))!.Value;
        Assert.Equal(SessionStates.Active, transcript.State);
        Assert.Equal(["a red circle", "green", "right of"], transcript.Turns.Select(t => t.Answer));
        Assert.Equal([1, 2, 3], transcript.Turns.Select(t => t.Regions.Single().Region!.Value));
        Assert.Equal([396.0, 130, 476, 212], transcript.Turns[2].Regions[0].Box);
        Assert.All(transcript.Turns, t => Assert.Null(t.Error));
        Assert.Equal(SampleImage.Length, transcript.Image.Size);

        var instance = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.NotNull(instance);
        Assert.Equal(OrchestrationRuntimeStatus.Running, instance.RuntimeStatus);
        Assert.NotNull(instance.SerializedCustomStatus);
        Assert.True(instance.SerializedCustomStatus.Length < 1024, instance.SerializedCustomStatus);
        var status = JsonSerializer.Deserialize<SessionCustomStatus>(instance.SerializedCustomStatus, WebJson)!;
        Assert.Equal(3, status.Turns);
        Assert.Equal(transcript.Turns[2].TurnId, status.LastTurnId);
        Assert.Equal("active", status.State);
        Assert.True(instance.SerializedInput!.Length < 1024);

        var get = await service.GetAsync(Get(id), host.Client, id, default);
        Assert.Equal(200, Status(get));
        var g = Value(get);
        Assert.Equal("active", g.GetProperty("state").GetString());
        Assert.Equal("Running", g.GetProperty("runtime_status").GetString());
        Assert.Equal(3, g.GetProperty("turns").GetArrayLength());
        Assert.Equal(3, g.GetProperty("turns")[2].GetProperty("regions")[0].GetProperty("region").GetInt32());
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task Create_Detect_DetectedRegionIsNamedInLaterTurns()
    {
        await using var host = await StartHostAsync();
        var service = Service();
        var image = File.ReadAllBytes(Path.Combine(TinyDetector.CaseDir("03_tall_png"), "image.png"));

        var created = await service.CreateAsync(Multipart(image, """{"question": "What is <region1>?", "detect": true}"""), host.Client, default);

        Assert.Equal(201, Status(created));
        var v = Value(created);
        Assert.Equal("square", v.GetProperty("detections")[0].GetProperty("label").GetString());
        Assert.Equal(1, v.GetProperty("detections")[0].GetProperty("index").GetInt32());
        Assert.Equal("a red square", v.GetProperty("turn").GetProperty("answer").GetString());
        // A later turn names the detected region as <region1> next to a new box (the square is at y 121..185).
        var t2 = await TurnAsync(service, host.Client, v.GetProperty("id").GetString()!,
            """{"question": "Where is <region2> relative to <region1>?", "regions": [[100, 450, 200, 550]]}""");
        Assert.Equal(200, Status(t2));
        Assert.Equal("below", Value(t2).GetProperty("answer").GetString());
    }

    [Fact]
    public async Task ContinueAsNew_EveryTwoTurns_KeepsQueuedTurnsAndOrder()
    {
        await using var host = await StartHostAsync();
        var service = Service(wait: TimeSpan.Zero, turnsPerHistory: 2);
        var id = await CreateAsync(service, host.Client);
        // Three turns raised at once: the third arrives while the orchestration continues as new.
        foreach (var body in new[]
        {
            """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""",
            """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""",
            """{"question": "Where is <region3> relative to <region1>?", "regions": [[396,130,476,212]]}""",
        })
        {
            Assert.Equal(202, Status(await TurnAsync(service, host.Client, id, body)));
        }

        var transcript = await WaitForTurnsAsync(id, 3);
        Assert.Equal(["a red circle", "green", "right of"], transcript.Turns.Select(t => t.Answer));

        // A turn after the restart reaches the new generation, which rebuilds the conversation from the transcript.
        Assert.Equal(202, Status(await TurnAsync(service, host.Client, id, """{"question": "What color is <region1>?"}""")));
        var fourth = (await WaitForTurnsAsync(id, 4)).Turns[3];
        Assert.Null(fourth.Error);
        Assert.False(string.IsNullOrEmpty(fourth.Answer));
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task IdleTimeout_ExpiresSession_DeletesImageKeepsTranscript()
    {
        await using var host = await StartHostAsync();
        var service = Service(idle: TimeSpan.FromSeconds(2));
        var id = await CreateAsync(service, host.Client, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");
        using var cts = new CancellationTokenSource(Patience);
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("\"expired\"", done.SerializedOutput);

        var (transcript, _) = (await Store.ReadAsync(id))!.Value;
        Assert.Equal(SessionStates.Expired, transcript.State);
        Assert.NotNull(transcript.ExpiredUtc);
        Assert.Single(transcript.Turns);
        Assert.False((await fx.Storage.Sessions.GetBlobClient(SessionNames.Image(id)).ExistsAsync()).Value);

        var late = await TurnAsync(service, host.Client, id, """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""");
        Assert.Equal(409, Status(late));
        Assert.Equal("expired", Value(await service.GetAsync(Get(id), host.Client, id, default)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task BadTurn_RecordsErrorAndSessionGoesOn()
    {
        await using var host = await StartHostAsync();
        var service = Service();
        var id = await CreateAsync(service, host.Client, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");

        var bad = await TurnAsync(service, host.Client, id, """{"question": "What is <region5>?"}""");
        Assert.Equal(422, Status(bad));
        var problem = Assert.IsType<ProblemDetails>(((ObjectResult)bad).Value);
        Assert.Equal("invalid_question", problem.Extensions["code"]);
        var badBox = await TurnAsync(service, host.Client, id, """{"question": "What is <region2>?", "regions": [[300,300,100,100]]}""");
        Assert.Equal(422, Status(badBox));
        Assert.Equal("invalid region", ((ProblemDetails)((ObjectResult)badBox).Value!).Title);

        var good = await TurnAsync(service, host.Client, id, """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""");
        Assert.Equal(200, Status(good));
        Assert.Equal("green", Value(good).GetProperty("answer").GetString());

        var (transcript, _) = (await Store.ReadAsync(id))!.Value;
        Assert.Equal(4, transcript.Turns.Count);
        Assert.Equal(ErrorCode.InvalidQuestion, transcript.Turns[1].Error!.Code);
        Assert.Null(transcript.Turns[1].Answer);
        Assert.Equal(ErrorCode.InvalidRegion, transcript.Turns[2].Error!.Code);
        Assert.Null(transcript.Turns[2].Regions[0].Region);
        Assert.Equal(2, transcript.Turns[3].Regions[0].Region);
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task Http_Branches_CreateUnknownBadBodyPendingDelete()
    {
        await using var host = await StartHostAsync();
        var service = Service(wait: TimeSpan.Zero);

        // Create from a blob reference, no first question: 201 with links and a Location header.
        await fx.Storage.Inbox.GetBlobClient("sessions-test/shapes.png").UploadAsync(new BinaryData(SampleImage), overwrite: true);
        var createRequest = Json("""{"image_blob": "inbox/sessions-test/shapes.png"}""");
        var created = await service.CreateAsync(createRequest, host.Client, default);
        Assert.Equal(201, Status(created));
        var id = Value(created).GetProperty("id").GetString()!;
        Assert.Equal($"/api/sessions/{id}", createRequest.HttpContext.Response.Headers.Location.ToString());
        Assert.True((await fx.Storage.Sessions.GetBlobClient(SessionNames.Image(id)).ExistsAsync()).Value);
        var (t0, _) = (await Store.ReadAsync(id))!.Value;
        Assert.Equal("inbox/sessions-test/shapes.png", t0.Image.Source);
        Assert.Equal(64, t0.Image.Sha256.Length);
        Assert.Empty(t0.Turns);

        // Bad create bodies.
        Assert.Equal(400, Status(await service.CreateAsync(Json("""{"question": "x"}"""), host.Client, default)));
        Assert.Equal(404, Status(await service.CreateAsync(Json("""{"image_blob": "sessions-test/none.png"}"""), host.Client, default)));
        Assert.Equal(400, Status(await service.CreateAsync(Json("{nope"), host.Client, default)));

        // Unknown ids.
        var unknown = Guid.NewGuid().ToString("N");
        Assert.Equal(404, Status(await TurnAsync(service, host.Client, unknown, """{"question": "What is <region1>?", "regions": [[1,1,9,9]]}""")));
        Assert.Equal(404, Status(await TurnAsync(service, host.Client, "../x", """{"question": "q"}""")));
        Assert.Equal(404, Status(await service.GetAsync(Get(unknown), host.Client, unknown, default)));
        Assert.Equal(404, Status(await service.DeleteAsync(Get(unknown, "DELETE"), host.Client, unknown, default)));

        // Bad turn bodies.
        Assert.Equal(400, Status(await TurnAsync(service, host.Client, id, """{"regions": [[1,1,9,9]]}""")));
        Assert.Equal(422, Status(await TurnAsync(service, host.Client, id, """{"question": "What is <region1>?", "regions": [[1,1,9]]}""")));
        Assert.Equal(400, Status(await TurnAsync(service, host.Client, id, "[1,2")));

        // Wait 0: 202 with the status URL; the turn is answered in the background.
        var pendingRequest = Json("""{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""", $"/api/sessions/{id}/turns");
        var pending = await service.SubmitTurnAsync(pendingRequest, host.Client, id, default);
        Assert.Equal(202, Status(pending));
        Assert.Equal($"/api/sessions/{id}", pendingRequest.HttpContext.Response.Headers.Location.ToString());
        var turnId = Value(pending).GetProperty("turn_id").GetString();
        var transcript = await WaitForTurnsAsync(id, 1);
        Assert.Equal(turnId, transcript.Turns[0].TurnId);
        Assert.Equal("a red circle", transcript.Turns[0].Answer);

        // Delete: 204; the orchestration is terminated, the image gone, the transcript a tombstone.
        Assert.IsType<NoContentResult>(await service.DeleteAsync(Get(id, "DELETE"), host.Client, id, default));
        // Termination is queued to the orchestration; wait for it to take effect.
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await host.Client.WaitForInstanceCompletionAsync(id, wait.Token)).RuntimeStatus);
        }

        Assert.False((await fx.Storage.Sessions.GetBlobClient(SessionNames.Image(id)).ExistsAsync()).Value);
        var g = Value(await service.GetAsync(Get(id), host.Client, id, default));
        Assert.Equal("deleted", g.GetProperty("state").GetString());
        Assert.Equal(1, g.GetProperty("turns").GetArrayLength());
        Assert.Equal(404, Status(await TurnAsync(service, host.Client, id, """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""")));
        Assert.IsType<NoContentResult>(await service.DeleteAsync(Get(id, "DELETE"), host.Client, id, default));
    }

    [Fact]
    public async Task Create_StreamedFirstTurn_SendsSessionTurnTokensThenResult()
    {
        await using var host = await StartHostAsync();
        var request = Multipart(SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]], "stream": true}""");

        var r = await Service().CreateAsync(request, host.Client, default);

        Assert.IsType<EmptyResult>(r);
        Assert.Equal("text/event-stream", request.HttpContext.Response.ContentType);
        var events = SseEvents(request);
        Assert.Equal("session", events[0].Name);
        var id = events[0].Data.GetProperty("id").GetString()!;
        Assert.Equal($"/api/sessions/{id}", request.HttpContext.Response.Headers.Location.ToString());
        Assert.Equal($"/api/sessions/{id}/turns", events[0].Data.GetProperty("turns_url").GetString());
        Assert.Equal("turn", events[1].Name);
        var turnId = events[1].Data.GetProperty("turn_id").GetString();
        Assert.Equal("result", events[^1].Name);
        Assert.All(events.Skip(2).SkipLast(1), e => Assert.Equal("token", e.Name));
        Assert.True(events.Count > 3, "the answer streams as tokens");
        var result = events[^1].Data;
        Assert.Equal(id, result.GetProperty("id").GetString());
        Assert.Equal(turnId, result.GetProperty("turn_id").GetString());
        Assert.Equal("a red circle", result.GetProperty("turn").GetProperty("answer").GetString());
        Assert.Equal("a red circle", string.Concat(events.Where(e => e.Name == "token").Select(e => e.Data.GetProperty("text").GetString())).Trim());
        Assert.Equal("a red circle", (await Store.ReadAsync(id))!.Value.Transcript.Turns.Single().Answer);
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task StreamTurn_AnsweredInThisProcess_TokensAddUpToTheRecordedAnswer()
    {
        await using var host = await StartHostAsync();
        var service = Service();
        var id = await CreateAsync(service, host.Client, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");
        var request = Json("""{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""", $"/api/sessions/{id}/turns");
        request.Headers.Accept = "text/event-stream";

        Assert.IsType<EmptyResult>(await service.SubmitTurnAsync(request, host.Client, id, default));

        var events = SseEvents(request);
        Assert.Equal("turn", events[0].Name);
        Assert.Equal("result", events[^1].Name);
        var tokens = events.Where(e => e.Name == "token").Select(e => e.Data.GetProperty("text").GetString()).ToList();
        Assert.NotEmpty(tokens);
        Assert.Equal(events.Count - 2, tokens.Count);
        var turn = events[^1].Data;
        Assert.Equal("green", turn.GetProperty("answer").GetString());
        Assert.Equal("green", string.Concat(tokens).Trim());
        Assert.Equal(events[0].Data.GetProperty("turn_id").GetString(), turn.GetProperty("turn_id").GetString());
        Assert.Equal(2, turn.GetProperty("regions")[0].GetProperty("region").GetInt32());
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task StreamTurn_RefusedByTheModel_ErrorEventNamesTheRecordedTurn()
    {
        await using var host = await StartHostAsync();
        var service = Service();
        var id = await CreateAsync(service, host.Client, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");
        var request = Json("""{"question": "What is <region5>?", "stream": true}""", $"/api/sessions/{id}/turns");

        await service.SubmitTurnAsync(request, host.Client, id, default);

        var events = SseEvents(request);
        Assert.Equal(["turn", "error"], events.Select(e => e.Name));
        var error = events[1].Data;
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Equal("invalid_question", error.GetProperty("code").GetString());
        Assert.Equal(events[0].Data.GetProperty("turn_id").GetString(), error.GetProperty("turn_id").GetString());
        Assert.Equal($"/api/sessions/{id}", error.GetProperty("status_url").GetString());
        Assert.Equal(ErrorCode.InvalidQuestion, (await Store.ReadAsync(id))!.Value.Transcript.Turns[1].Error!.Code);
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task StreamTurn_AnsweredOnAnotherInstance_AnswerRelayedThroughStorage()
    {
        // The activities run with their own token hand-over, as on another instance of the app: nothing reaches this
        // request's subscription, so the answer so far comes through storage. Before the real activity answers, the
        // hook writes a partial answer as that instance would, and waits for the request to relay it.
        var elsewhere = new SessionStore(fx.Services.GetRequiredService<StorageClients>(), fx.Services.GetRequiredService<ConversationService>(),
            new TurnStreams(), new TurnStops(), fx.Services.GetRequiredService<IOptions<FunctionsOptions>>(), NullLogger<SessionStore>.Instance);
        var storage = fx.Services.GetRequiredService<StorageClients>();
        await using var host = await TestSessions.StartDurableHostAsync(elsewhere, async input =>
        {
            if (input.Turn.Stream)
            {
                await storage.Sessions.GetBlobClient(SessionNames.PartialAnswer(input.SessionId, input.Turn.TurnId)).UploadAsync(BinaryData.FromString("a red"), overwrite: true);
                await Task.Delay(1500);
            }
        });
        var service = Service();
        var id = await CreateAsync(service, host.Client, """{"question": "What color is <region1>?", "regions": [[232,12,348,128]]}""");
        var request = Json("""{"question": "What is <region2>?", "regions": [[95,70,215,190]], "stream": true}""", $"/api/sessions/{id}/turns");

        await service.SubmitTurnAsync(request, host.Client, id, default);

        var events = SseEvents(request);
        Assert.Equal("turn", events[0].Name);
        Assert.Equal("result", events[^1].Name);
        var tokens = events.Where(e => e.Name == "token").ToList();
        Assert.Equal("a red", tokens[0].Data.GetProperty("text").GetString());
        Assert.All(tokens, t => Assert.False(t.Data.TryGetProperty("id", out _), "a relayed token has no id"));
        Assert.StartsWith(string.Concat(tokens.Select(t => t.Data.GetProperty("text").GetString())), "a red circle", StringComparison.Ordinal);
        Assert.Equal("a red circle", events[^1].Data.GetProperty("answer").GetString());
        // The relay is gone once the turn is recorded.
        var leftovers = new List<string>();
        await foreach (var blob in storage.Sessions.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, SessionNames.TurnFiles(id), default))
        {
            leftovers.Add(blob.Name);
        }

        Assert.Empty(leftovers);
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task StopTurn_AskedWhileTheTurnIsQueued_RecordsTheTextSoFarAsStopped()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestSessions.StartDurableHostAsync(Store, _ => release.Task);
        var service = Service();
        var id = await CreateAsync(service, host.Client);
        var pending = await Service(wait: TimeSpan.Zero).SubmitTurnAsync(
            Json("""{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""", $"/api/sessions/{id}/turns"), host.Client, id, default);
        var turnId = Value(pending).GetProperty("turn_id").GetString()!;

        var stopRequest = Json("{}", $"/api/sessions/{id}/turns/{turnId}/stop");
        var stopping = await service.StopTurnAsync(stopRequest, id, turnId, default);
        release.SetResult();

        Assert.Equal(202, Status(stopping));
        Assert.Equal("stopping", Value(stopping).GetProperty("status").GetString());
        Assert.Equal($"/api/sessions/{id}", stopRequest.HttpContext.Response.Headers.Location.ToString());
        var turn = (await WaitForTurnsAsync(id, 1)).Turns[0];
        Assert.Equal("Stopped", turn.StopReason);
        Assert.Equal(1, turn.GeneratedTokens);
        Assert.StartsWith(turn.Answer!, "a red circle", StringComparison.Ordinal);
        // Stopping a recorded turn changes nothing and answers the turn; the stop request is gone.
        var again = await service.StopTurnAsync(Json("{}", $"/api/sessions/{id}/turns/{turnId}/stop"), id, turnId, default);
        Assert.Equal(200, Status(again));
        Assert.Equal("Stopped", Value(again).GetProperty("stop_reason").GetString());
        Assert.False((await fx.Storage.Sessions.GetBlobClient(SessionNames.StopRequest(id, turnId)).ExistsAsync()).Value);
        // The conversation goes on after the stopped answer.
        var next = await TurnAsync(service, host.Client, id, """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""");
        Assert.Equal("green", Value(next).GetProperty("answer").GetString());
        Assert.Equal(400, Status(await service.StopTurnAsync(Json("{}"), id, "not-a-turn", default)));
        var unknown = Guid.NewGuid().ToString("N");
        Assert.Equal(404, Status(await service.StopTurnAsync(Json("{}"), unknown, turnId, default)));
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public void TurnStops_StoppedWhileRunning_CancelsItsTokenAndForgetsItAfter()
    {
        var stops = new TurnStops();
        Assert.False(stops.Stop("t1"));
        CancellationToken token;
        using (var running = stops.Start("t1"))
        {
            token = running.StopRequested;
            Assert.False(token.IsCancellationRequested);
            Assert.True(stops.Stop("t1"));
            Assert.True(token.IsCancellationRequested);
        }

        Assert.False(stops.Stop("t1"));
    }

    [Fact]
    public async Task PartialAnswerWriter_FirstTokenThenFlush_WritesTheAnswerSoFarAndDeletes()
    {
        var blob = fx.Storage.Sessions.GetBlobClient(SessionNames.PartialAnswer(Guid.NewGuid().ToString("N"), "t1"));
        var writer = new PartialAnswerWriter(blob, TimeSpan.FromHours(1), ex => Assert.Fail(ex.Message));

        writer.Add(new AnswerDelta(1, "a"));
        var first = (await blob.DownloadContentAsync()).Value.Content.ToString();
        writer.Add(new AnswerDelta(2, " red"));
        var beforeFlush = (await blob.DownloadContentAsync()).Value.Content.ToString();
        writer.Flush();
        var flushed = (await blob.DownloadContentAsync()).Value.Content.ToString();
        await writer.DeleteAsync();

        Assert.Equal("a", first);
        Assert.Equal("a", beforeFlush);
        Assert.Equal("a red", flushed);
        Assert.False((await blob.ExistsAsync()).Value);
    }

    [Fact]
    public async Task StreamTurn_HeldBackBeforeItsFirstToken_SaysItIsWaitingThenStreams()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestSessions.StartDurableHostAsync(Store, _ => release.Task);
        var service = Service(progress: TimeSpan.FromMilliseconds(100));
        var id = await CreateAsync(service, host.Client);
        var request = Json("""{"question": "What is <region1>?", "regions": [[95,70,215,190]], "stream": true}""", $"/api/sessions/{id}/turns");

        var streaming = service.SubmitTurnAsync(request, host.Client, id, default);
        await Task.Delay(700);
        release.SetResult();
        await streaming;

        var events = SseEvents(request);
        Assert.Equal("turn", events[0].Name);
        var waiting = events.TakeWhile(e => e.Name != "token").Skip(1).ToList();
        Assert.True(waiting.Count >= 2, $"{waiting.Count} waiting events before the first token");
        Assert.All(waiting, e => Assert.Equal("waiting", e.Name));
        var waited = waiting.Select(e => e.Data.GetProperty("waited_ms").GetInt64()).ToList();
        Assert.Equal(waited.Order(), waited);
        Assert.All(waiting, e => Assert.Equal(events[0].Data.GetProperty("turn_id").GetString(), e.Data.GetProperty("turn_id").GetString()));
        Assert.DoesNotContain(events.SkipWhile(e => e.Name != "token"), e => e.Name == "waiting");
        Assert.Equal("result", events[^1].Name);
        Assert.Equal("a red circle", events[^1].Data.GetProperty("answer").GetString());
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task StreamTurn_NoAnswerWithinTheWait_EndsWithPendingAndTheStatusUrl()
    {
        await using var host = await StartHostAsync();
        var id = await CreateAsync(Service(), host.Client);
        var request = Json("""{"question": "What is <region1>?", "regions": [[95,70,215,190]], "stream": true}""", $"/api/sessions/{id}/turns");

        await Service(wait: TimeSpan.Zero).SubmitTurnAsync(request, host.Client, id, default);

        var events = SseEvents(request);
        Assert.Equal(["turn", "pending"], events.Select(e => e.Name));
        Assert.Equal("pending", events[1].Data.GetProperty("status").GetString());
        Assert.Equal(events[0].Data.GetProperty("turn_id").GetString(), events[1].Data.GetProperty("turn_id").GetString());
        Assert.Equal("a red circle", (await WaitForTurnsAsync(id, 1)).Turns[0].Answer);
        await host.Client.TerminateInstanceAsync(id);
    }

    [Theory]
    [InlineData("""{"question": "What is <region1>? <im_patch>", "regions": [[95,70,215,190]]}""", 422, "invalid_question")]
    [InlineData("""{"question": "What is <region1>?", "regions": [[600,400,700,500]]}""", 422, "invalid_region")]
    [InlineData("""{"question": "What is <region1> and <region2>?", "regions": [[95,70,215,190]], "stream": true}""", 422, "invalid_question")]
    [InlineData("""{"question": "What is <region1>?", "regions": [[95,70,215,190]], "generation": {"max_new_tokens": 4}}""", 400, "invalid_request")]
    public async Task Create_FirstTurnTheModelRefuses_ProblemAndNoSession(string body, int status, string code)
    {
        await using var host = await StartHostAsync();
        var before = await SessionBlobCountAsync();

        var r = await Service().CreateAsync(Multipart(SampleImage, body), host.Client, default);

        Assert.Equal(status, Status(r));
        Assert.Equal(code, ((ProblemDetails)((ObjectResult)r).Value!).Extensions["code"]);
        Assert.Equal(before, await SessionBlobCountAsync());
    }

    [Fact]
    public void TurnStreams_ClaimedOnce_SecondAttemptAndStrangersGetNoWriter()
    {
        var streams = new TurnStreams();
        Assert.Null(streams.Claim("t1"));
        using (var subscription = streams.Subscribe("t1"))
        {
            var writer = streams.Claim("t1");
            Assert.NotNull(writer);
            Assert.Null(streams.Claim("t1"));
            Assert.True(writer.TryWrite(new AnswerDelta(7, "red")));
            writer.TryComplete();
            Assert.True(subscription.Tokens.TryRead(out var delta));
            Assert.Equal(new AnswerDelta(7, "red"), delta);
            Assert.True(subscription.Tokens.Completion.IsCompleted);
        }

        Assert.Null(streams.Claim("t1"));
    }

    [Fact]
    public void PartialAnswerWriter_StorageRefuses_RelayStopsAndTheAnswerGoesOn()
    {
        // A container that does not exist: every write fails.
        var blob = Azure.Storage.Blobs.Specialized.SpecializedBlobExtensions.GetParentBlobServiceClient(fx.Storage.Sessions).GetBlobContainerClient("no-such-container-" + Guid.NewGuid().ToString("N")[..8])
            .GetBlobClient("x.txt");
        var failures = new List<Exception>();
        var writer = new PartialAnswerWriter(blob, TimeSpan.Zero, failures.Add);

        writer.Add(new AnswerDelta(1, "a"));
        writer.Add(new AnswerDelta(2, " red"));
        writer.Flush();

        Assert.IsType<Azure.RequestFailedException>(Assert.Single(failures));
    }

    private async Task<int> SessionBlobCountAsync()
    {
        var n = 0;
        await foreach (var _ in fx.Storage.Sessions.GetBlobsAsync())
        {
            n++;
        }

        return n;
    }

    /// <summary>The server-sent events a response wrote: each event's name and its JSON data.</summary>
    private static List<(string Name, JsonElement Data)> SseEvents(HttpRequest request)
    {
        var body = System.Text.Encoding.UTF8.GetString(((MemoryStream)request.HttpContext.Response.Body).ToArray());
        return [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            var lines = e.Split('\n');
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            return (lines[0]["event: ".Length..], JsonSerializer.Deserialize<JsonElement>(lines[1]["data: ".Length..]));
        })];
    }

    private async Task<SessionTranscript> WaitForTurnsAsync(string id, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var (t, _) = (await Store.ReadAsync(id))!.Value;
            if (t.Turns.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, t.Turns.Count);
                return t;
            }

            await Task.Delay(100);
        }
    }
}
