using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

using static GPT4RoI.Functions.Tests.HttpTestRequests;

namespace GPT4RoI.Functions.Tests;

/// <summary>POST /api/describe and detected regions in /api/query and /api/sessions, invoked with the HttpRequest the
/// ASP.NET Core integration passes, against Azurite.</summary>
[Collection("azurite")]
public sealed class DescribeHttpTests(AzuriteFixture fx)
{
    private DescribeFunctions Functions() => ActivatorUtilities.CreateInstance<DescribeFunctions>(fx.Services);

    private static byte[] GoldenImage(string name) =>
        File.ReadAllBytes(Path.Combine(TinyDetector.CaseDir(name), TinyDetector.ReadCase(name).GetProperty("image").GetString()!));

    private static List<string> Truth(string name) => TinyDetector.ReadCase(name).GetProperty("objects").EnumerateArray()
        .Select(o => $"a {o.GetProperty("colour").GetString()} {o.GetProperty("kind").GetString()}").Order().ToList();

    [Fact]
    public async Task Describe_Multipart_AnswersEveryDetectedObject()
    {
        var r = await Functions().DescribeAsync(Multipart(GoldenImage("01_png"), null, "/api/describe"), default);

        Assert.Equal(200, Status(r));
        var v = Value(r);
        Assert.Equal("per_region", v.GetProperty("mode").GetString());
        Assert.Equal(Truth("01_png"), v.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("answer").GetString()!).Order());
        if (Environment.GetEnvironmentVariable("GPT4ROI_DOC_EXAMPLES") is { Length: > 0 } dir)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "describe-response.json"), JsonSerializer.Serialize(v, ContractJson.Options));
        }
    }

    [Fact]
    public async Task Describe_StreamFromBlob_SendsDetectionsThenOneEventPerObjectThenResult()
    {
        await fx.Storage.Inbox.GetBlobClient("describe/four.png").UploadAsync(new BinaryData(GoldenImage("05_four_shapes")), overwrite: true);
        var request = Json("""{"image_blob": "inbox/describe/four.png", "question": "What color is <region1>?", "stream": true}""", "/api/describe");

        var r = await Functions().DescribeAsync(request, default);

        Assert.IsType<EmptyResult>(r);
        Assert.Equal("text/event-stream", request.HttpContext.Response.ContentType);
        var body = Encoding.UTF8.GetString(((MemoryStream)request.HttpContext.Response.Body).ToArray());
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('\n')[0]).ToList();
        Assert.Equal(["event: detections", "event: object", "event: object", "event: object", "event: object", "event: result"], events);
        var result = body.Split("\n\n").Single(e => e.StartsWith("event: result", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(result["event: result\ndata: ".Length..]);
        Assert.All(doc.RootElement.GetProperty("objects").EnumerateArray(), o => Assert.Contains(o.GetProperty("answer").GetString(), new[] { "red", "green", "blue", "yellow" }));
        if (Environment.GetEnvironmentVariable("GPT4ROI_DOC_EXAMPLES") is { Length: > 0 } dir)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "describe-stream.txt"), body);
        }
    }

    [Theory]
    [InlineData("""{"image_blob": "describe/none.png"}""", 404)]
    [InlineData("""{"image_blob": "describe/x.png", "min_score": 1.5}""", 400)]
    [InlineData("""{"image_blob": "describe/x.png", "regions": [[1, 1, 5, 5]]}""", 400)]
    public async Task Describe_BadRequest_AnswersProblem(string json, int status)
    {
        var r = await Functions().DescribeAsync(Json(json, "/api/describe"), default);

        Assert.Equal(status, Status(r));
    }

    [Fact]
    public async Task Query_Detect_DetectedObjectIsRegion1()
    {
        var functions = ActivatorUtilities.CreateInstance<QueryFunctions>(fx.Services);

        var r = await functions.QueryAsync(Multipart(GoldenImage("03_tall_png"), """{"question": "What is <region1>?", "detect": true}"""), default);

        Assert.Equal(200, Status(r));
        Assert.Equal("a red square", Value(r).GetProperty("answer").GetString());
    }

    [Fact]
    public async Task CreateSession_Detect_StartsWithTheDetectedRegions()
    {
        var sessions = new Mock<ISessionService>();
        var client = new Mock<DurableTaskClient>("test").Object;
        QueryRequest? seen = null;
        sessions.Setup(s => s.CreateAsync(It.IsAny<QueryRequest>(), It.IsAny<byte[]>(), client, It.IsAny<CancellationToken>()))
            .Callback<QueryRequest, byte[], DurableTaskClient, CancellationToken>((q, _, _, _) => seen = q)
            .ReturnsAsync(new SessionCreated("abc", null));
        var options = fx.Services.GetRequiredService<IOptions<FunctionsOptions>>();
        var f = new SessionFunctions(sessions.Object, new HttpRequestReader(options), fx.Services.GetRequiredService<InboxImages>(),
            fx.Services.GetRequiredService<Lazy<DescribeService>>(), fx.Services.GetRequiredService<SseWriter>(), NullLogger<SessionFunctions>.Instance);

        var r = await f.CreateAsync(Multipart(GoldenImage("01_png"), """{"question": "What is <region1>?", "detect": true, "regions": [[1, 1, 20, 20]]}""", "/api/sessions"),
            client, default);

        Assert.Equal(201, Status(r));
        Assert.NotNull(seen);
        Assert.False(seen.Detect);
        Assert.Equal(5, seen.Regions!.Count);                      // 4 detections, then the given box
        Assert.Equal([1.0, 1, 20, 20], seen.Regions[4]!);
        var detections = Value(r).GetProperty("detections").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4], detections.Select(d => d.GetProperty("index").GetInt32()));
    }
}
