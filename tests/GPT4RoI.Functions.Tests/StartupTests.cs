using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace GPT4RoI.Functions.Tests;

public sealed class StartupTests
{
    /// <summary>The host finds functions through the functions.metadata the worker SDK writes at build: every
    /// function must be there with its trigger, path or queue, and connection.</summary>
    [Fact]
    public void FunctionsMetadata_Build_DeclaresEveryTrigger()
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(RepoPaths.Root, "src", "GPT4RoI.Functions", "bin", config, "net10.0", "functions.metadata");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var functions = doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("bindings")[0].Clone());
        Assert.Equal(["AnswerTurn", "CreateSession", "DeleteSession", "Describe", "ExpireSession", "GetSession", "GetSessionImage", "Health", "JobPoisoned",
            "ManifestDropped", "OpenApi", "ProcessJob", "Query", "SessionOrchestrator", "StopTurn", "SubmitTurn", "WebPage"], functions.Keys.Order(StringComparer.Ordinal));

        Assert.Equal("blobTrigger", functions["ManifestDropped"].GetProperty("type").GetString());
        Assert.Equal("inbox/{name}", functions["ManifestDropped"].GetProperty("path").GetString());
        Assert.Equal("AzureWebJobsStorage", functions["ManifestDropped"].GetProperty("connection").GetString());
        Assert.Equal("queueTrigger", functions["ProcessJob"].GetProperty("type").GetString());
        Assert.Equal("gpt4roi-jobs", functions["ProcessJob"].GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", functions["ProcessJob"].GetProperty("connection").GetString());
        Assert.Equal("gpt4roi-jobs-poison", functions["JobPoisoned"].GetProperty("queueName").GetString());
        Assert.Equal("httpTrigger", functions["Query"].GetProperty("type").GetString());
        Assert.Equal("query", functions["Query"].GetProperty("route").GetString());
        Assert.Equal("Function", functions["Query"].GetProperty("authLevel").GetString());
        Assert.Equal("post", functions["Query"].GetProperty("methods")[0].GetString());
        Assert.Equal("health", functions["Health"].GetProperty("route").GetString());
        Assert.Equal("httpTrigger", functions["Describe"].GetProperty("type").GetString());
        Assert.Equal("describe", functions["Describe"].GetProperty("route").GetString());
        Assert.Equal("Function", functions["Describe"].GetProperty("authLevel").GetString());
        Assert.Equal("post", functions["Describe"].GetProperty("methods")[0].GetString());
        Assert.Equal("app/{*path}", functions["WebPage"].GetProperty("route").GetString());
        Assert.Equal("Anonymous", functions["WebPage"].GetProperty("authLevel").GetString());
        Assert.Equal("openapi.json", functions["OpenApi"].GetProperty("route").GetString());
        Assert.Equal("get", functions["OpenApi"].GetProperty("methods")[0].GetString());
        Assert.Equal("Anonymous", functions["OpenApi"].GetProperty("authLevel").GetString());

        // Durable sessions: the orchestrator, its activities and the HTTP endpoints (each with a durable client).
        Assert.Equal("orchestrationTrigger", functions["SessionOrchestrator"].GetProperty("type").GetString());
        Assert.Equal("activityTrigger", functions["AnswerTurn"].GetProperty("type").GetString());
        Assert.Equal("activityTrigger", functions["ExpireSession"].GetProperty("type").GetString());
        foreach (var (name, method, route) in new[]
        {
            ("CreateSession", "post", "sessions"), ("SubmitTurn", "post", "sessions/{id}/turns"),
            ("GetSession", "get", "sessions/{id}"), ("DeleteSession", "delete", "sessions/{id}"),
            ("GetSessionImage", "get", "sessions/{id}/image"), ("StopTurn", "post", "sessions/{id}/turns/{turnId}/stop"),
        })
        {
            Assert.Equal("httpTrigger", functions[name].GetProperty("type").GetString());
            Assert.Equal(route, functions[name].GetProperty("route").GetString());
            Assert.Equal(method, functions[name].GetProperty("methods")[0].GetString());
            Assert.Equal("Function", functions[name].GetProperty("authLevel").GetString());
        }

        var all = doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("bindings"));
        Assert.Contains(all["SubmitTurn"].EnumerateArray(), b => b.GetProperty("type").GetString() == "durableClient");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "host.json")));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, ModelFolder.DefaultRelativePath, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, DetectorFolder.DefaultRelativePath, "detector.onnx")));
    }

    [Theory]
    [InlineData("Gpt4RoI:ModelPath", "/nonexistent/model", "ModelPath")]
    [InlineData("Gpt4RoI:MaxConcurrency", "0", "MaxConcurrency")]
    [InlineData("Gpt4RoI:ImagePollInterval", "00:20:00", "ImagePollInterval")]
    public void Options_BadSetting_FailsValidation(string key, string value, string mention)
    {
        var fx = new AzuriteFixture();
        using var sp = fx.BuildServices(new() { [key] = value });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<FunctionsOptions>>().Value);
        Assert.Contains(mention, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InboxFunctions_PassBlobAndMessageThrough()
    {
        var intake = new Mock<IManifestIntake>();
        intake.Setup(i => i.AcceptAsync("a/b.json", It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>())).ReturnsAsync(IntakeOutcome.Enqueued);
        var jobs = new Mock<IJobProcessor>();
        jobs.Setup(j => j.ProcessAsync("m", It.IsAny<CancellationToken>())).ReturnsAsync(JobOutcome.AlreadyDone);
        jobs.Setup(j => j.ProcessPoisonAsync("p", It.IsAny<CancellationToken>())).ReturnsAsync(JobOutcome.ErrorWritten);
        var f = new InboxFunctions(intake.Object, jobs.Object);
        Assert.Equal(IntakeOutcome.Enqueued, await f.ManifestDroppedAsync([1, 2], "a/b.json", default));
        Assert.Equal(JobOutcome.AlreadyDone, await f.ProcessJobAsync("m", default));
        Assert.Equal(JobOutcome.ErrorWritten, await f.JobPoisonedAsync("p", default));
        intake.VerifyAll();
        jobs.VerifyAll();
    }

    [Fact]
    public async Task SessionFunctions_EachEndpointDelegatesWithItsId()
    {
        var sessions = new Mock<ISessionService>(MockBehavior.Strict);
        var client = new Mock<Microsoft.DurableTask.Client.DurableTaskClient>("test").Object;
        var done = new SessionTurn { TurnId = "t1", Question = "q", Regions = [], Answer = "a red circle", CompletedUtc = DateTimeOffset.UnixEpoch };
        var transcript = new SessionTranscript { Id = "abc", State = SessionStates.Active, Image = new SessionImageInfo("00", 1, null), CreatedUtc = DateTimeOffset.UnixEpoch };
        sessions.Setup(s => s.CreateAsync(It.Is<QueryRequest>(r => r.Question == "What is <region1>?"), It.Is<byte[]>(b => b.Length == 3), client, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SessionCreated("abc", new TurnSubmitted("t1", done)));
        sessions.Setup(s => s.SubmitTurnAsync("abc", It.Is<TurnRequest>(r => r.Question == "q"), client, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new TurnSubmitted("t1", done));
        sessions.Setup(s => s.GetAsync("abc", client, It.IsAny<CancellationToken>())).ReturnsAsync(new SessionView(transcript, "Running", null));
        sessions.Setup(s => s.DeleteAsync("abc", client, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        var options = Options.Create(new FunctionsOptions());
        var storage = new StorageClients(new Azure.Storage.Blobs.BlobServiceClient("UseDevelopmentStorage=true"), new Azure.Storage.Queues.QueueServiceClient("UseDevelopmentStorage=true"));
        var f = new SessionFunctions(sessions.Object, new HttpRequestReader(options), new InboxImages(storage, options),
            new Lazy<DescribeService>(() => throw new InvalidOperationException("no detection in this test")), new SseWriter(NullLogger<SseWriter>.Instance),
            NullLogger<SessionFunctions>.Instance);

        var create = HttpTestRequests.Multipart([1, 2, 3], """{"question": "What is <region1>?"}""", "/api/sessions");
        var created = await f.CreateAsync(create, client, default);
        Assert.Equal(201, HttpTestRequests.Status(created));
        Assert.Equal("/api/sessions/abc", create.HttpContext.Response.Headers.Location.ToString());
        Assert.Equal("a red circle", HttpTestRequests.Value(created).GetProperty("turn").GetProperty("answer").GetString());
        Assert.Equal(200, HttpTestRequests.Status(await f.SubmitTurnAsync(HttpTestRequests.Json("""{"question": "q"}"""), client, "abc", default)));
        Assert.Equal("Running", HttpTestRequests.Value(await f.GetAsync(new DefaultHttpContext().Request, client, "abc", default)).GetProperty("runtime_status").GetString());
        Assert.IsType<NoContentResult>(await f.DeleteAsync(new DefaultHttpContext().Request, client, "abc", default));
        sessions.VerifyAll();
    }

    [Fact]
    public void ProblemResults_EveryErrorCode_HasAStatusAndTitle()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            var (status, title) = ProblemResults.Describe(code);
            Assert.InRange(status, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(title));
            Assert.Equal(code is ErrorCode.Internal or ErrorCode.FailedAfterRetries, status == 500);
        }
    }

    [Fact]
    public void ResultNames_SameInputs_SameName()
    {
        var a = ResultNames.Result("x/req.json", new string('a', 64), new string('b', 64), "gpt4roi-7b");
        Assert.Equal("x/req/aaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-gpt4roi-7b.result.json", a);
        Assert.Equal("x/req/error.json", ResultNames.Error("x/req.json"));
        Assert.Equal("x/shapes.png", ResultNames.ImageBlob("x/req.json", "shapes.png"));
    }
}
