using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Functions.Functions;
using GPT4RoI.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

using static GPT4RoI.Functions.Tests.HttpTestRequests;

namespace GPT4RoI.Functions.Tests;

/// <summary>POST /api/query and GET /api/health, invoked with the HttpRequest the ASP.NET Core integration passes.</summary>
[Collection("azurite")]
public sealed class HttpTests(AzuriteFixture fx)
{
    private static byte[] SampleImage => File.ReadAllBytes(RepoPaths.SampleImage);

    private QueryFunctions Functions(IServiceProvider? sp = null) => ActivatorUtilities.CreateInstance<QueryFunctions>(sp ?? fx.Services);

    private async Task UploadAsync(string name, byte[] data)
    {
        var blob = fx.Storage.Inbox.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(data), overwrite: true);
    }

    [Fact]
    public async Task Query_Multipart_AnswersJson()
    {
        var r = await Functions().QueryAsync(Multipart(SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}"""), default);
        Assert.Equal(200, Status(r));
        var v = Value(r);
        Assert.Equal("a red circle", v.GetProperty("answer").GetString());
        Assert.Equal("gpt4roi-tiny-shapes", v.GetProperty("model").GetProperty("id").GetString());
        if (Environment.GetEnvironmentVariable("GPT4ROI_DOC_EXAMPLES") is { Length: > 0 } dir)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "query-response.json"), JsonSerializer.Serialize(v, ContractJson.Options));
        }
    }

    [Fact]
    public async Task Query_BlankQuestion_GoesToTheModelsQuestionRules()
    {
        // The tiny model's rules turn a blank question into "hello, world!", which names none of the new box.
        var r = await Functions().QueryAsync(Multipart(SampleImage, """{"question": "  ", "regions": [[95,70,215,190]]}"""), default);
        Assert.Equal(422, Status(r));
        var problem = Assert.IsType<ProblemDetails>(Assert.IsType<ObjectResult>(r).Value);
        Assert.Equal("invalid question", problem.Title);
    }

    [Fact]
    public async Task Query_JsonWithBlobReference_AnswersJson()
    {
        await UploadAsync("http/shapes.png", SampleImage);
        var r = await Functions().QueryAsync(Json("""{"image_blob": "inbox/http/shapes.png", "question": "Where is <region1> relative to <region2>?", "regions": [[95,70,215,190],[396,130,476,212]]}"""), default);
        Assert.Equal(200, Status(r));
        Assert.Equal("left of", Value(r).GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Query_StreamRequested_SendsTokenEventsThenResult()
    {
        await UploadAsync("http/stream.png", SampleImage);
        var request = Json("""{"image_blob": "http/stream.png", "question": "What color is <region1>?", "regions": [[232,12,348,128]]}""", accept: "text/event-stream");
        var r = await Functions().QueryAsync(request, default);
        Assert.IsType<EmptyResult>(r);
        Assert.Equal("text/event-stream", request.HttpContext.Response.ContentType);
        var body = Encoding.UTF8.GetString(((MemoryStream)request.HttpContext.Response.Body).ToArray());
        Assert.Contains("event: token\ndata: ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("###", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Assistant", body, StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("GPT4ROI_DOC_EXAMPLES") is { Length: > 0 } dir)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "query-stream.txt"), body);
        }
        var resultLine = body.Split("\n\n").Single(e => e.StartsWith("event: result", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(resultLine["event: result\ndata: ".Length..]);
        Assert.Equal("green", doc.RootElement.GetProperty("answer").GetString());
    }

    public static TheoryData<string, string, int, string> Errors() => new()
    {
        { "application/json", "{not json", 400, "invalid request" },
        { "application/json", """{"image_blob": "http/shapes-ok.png"}""", 400, "invalid request" },
        { "application/json", """{"image_blob": "https://evil.example/x.png", "question": "q"}""", 400, "invalid request" },
        { "application/json", """{"image_blob": "http/none.png", "question": "What is <region1>?", "regions": [[1,1,5,5]]}""", 404, "not found" },
        { "text/plain", "hello", 415, "unsupported media type" },
        { "application/json", """{"image_blob": "http/shapes-ok.png", "question": "What is <region1>?", "regions": [[100,100,50,50]]}""", 422, "invalid region" },
        { "application/json", """{"image_blob": "http/shapes-ok.png", "question": "What is <region3>?", "regions": [[1,1,50,50]]}""", 422, "invalid question" },
        { "application/json", """{"image_blob": "http/shapes-ok.png", "question": "What is <bbox> <region1>?", "regions": [[1,1,50,50]]}""", 422, "invalid question" },
        { "application/json", """{"image_blob": "http/not-image.png", "question": "What is <region1>?", "regions": [[1,1,50,50]]}""", 415, "unsupported image" },
        { "application/json", """{"image_blob": "http/truncated.png", "question": "What is <region1>?", "regions": [[1,1,50,50]]}""", 422, "invalid image" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Query_BadRequest_AnswersProblemDetails(string contentType, string body, int status, string title)
    {
        await UploadAsync("http/shapes-ok.png", SampleImage);
        await UploadAsync("http/not-image.png", Encoding.UTF8.GetBytes("plain text, not pixels"));
        await UploadAsync("http/truncated.png", SampleImage[..300]);
        var request = Json(body);
        request.ContentType = contentType;
        var r = await Functions().QueryAsync(request, default);
        Assert.Equal(status, Status(r));
        var o = Assert.IsType<ObjectResult>(r);
        Assert.Contains("application/problem+json", o.ContentTypes);
        var problem = Assert.IsType<ProblemDetails>(o.Value);
        Assert.Equal(title, problem.Title);
        Assert.False(string.IsNullOrEmpty(problem.Detail));
    }

    [Fact]
    public async Task Query_BodyOverTheLimit_Answers413()
    {
        await using var sp = fx.BuildServices(new() { ["Gpt4RoI:MaxImageBytes"] = "1000", ["Gpt4RoI:MaxManifestBytes"] = "1000" });
        var r = await Functions(sp).QueryAsync(Multipart(SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}"""), default);
        Assert.Equal(413, Status(r));
    }

    [Fact]
    public async Task Query_NoFreeSlot_Answers503WithRetryAfter()
    {
        await using var sp = fx.BuildServices(new() { ["Gpt4RoI:MaxQueuedQueries"] = "0", ["Gpt4RoI:QueryQueueWait"] = "00:00:00" });
        var request = Multipart(SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");
        var r = await Functions(sp).QueryAsync(request, default);
        Assert.Equal(503, Status(r));
        Assert.Equal(new StringValues("5"), request.HttpContext.Response.Headers.RetryAfter);
    }

    [Fact]
    public void Health_ReportsModelAndProvider()
    {
        var ctx = new DefaultHttpContext();
        var v = Value(Functions().Health(ctx.Request));
        Assert.Equal("gpt4roi-tiny-shapes", v.GetProperty("model").GetString());
        Assert.Equal("CPU", v.GetProperty("execution_provider").GetString());
        Assert.Equal("tiny-detector-shapes", v.GetProperty("detector").GetProperty("model").GetString());
        Assert.Equal(3, v.GetProperty("detector").GetProperty("classes").GetInt32());
    }
}
