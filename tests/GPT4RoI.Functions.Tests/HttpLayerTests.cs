using System.Text;
using GPT4RoI.Core.Errors;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Tests;

/// <summary>Request reading limits, blob-name confinement and the event-stream writer, without storage or engine.</summary>
public sealed class HttpLayerTests
{
    private static readonly HttpRequestReader Reader = new(Options.Create(new FunctionsOptions { MaxImageBytes = 4096, MaxRequestJsonBytes = 1024 }));

    [Fact]
    public async Task ReadJsonAsync_ChunkedBodyOverTheLimit_RefusedWhileReading()
    {
        var body = Encoding.UTF8.GetBytes("{\"question\": \"" + new string('x', 5000) + "\"}");

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadJsonAsync<GPT4RoI.Core.Contracts.TurnRequest>(HttpTestRequests.Chunked("application/json", body), default));

        Assert.Equal(ErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadQueryAsync_ChunkedMultipartImageOverTheLimit_RefusedWhileReading()
    {
        var multipart = HttpTestRequests.Multipart(new byte[10_000], """{"question": "q"}""");
        var request = HttpTestRequests.Chunked(multipart.ContentType!, ((MemoryStream)multipart.Body).ToArray());

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(request, default));

        Assert.Contains(ex.Code, new[] { ErrorCode.LimitExceeded, ErrorCode.InvalidRequest });
        Assert.Contains("limit", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("extra", "unexpected part")]
    [InlineData("image", "more than one 'image' part")]
    public async Task ReadQueryAsync_UnexpectedOrRepeatedPart_Refused(string extraPart, string mention)
    {
        var ctx = new DefaultHttpContext();
        using var content = new MultipartFormDataContent("----b");
        content.Add(new ByteArrayContent([1, 2, 3]), "image", "a.png");
        content.Add(new StringContent("""{"question": "q"}"""), "request");
        content.Add(new ByteArrayContent([4]), extraPart, "b.png");
        var bytes = await content.ReadAsByteArrayAsync();

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(HttpTestRequests.Chunked(content.Headers.ContentType!.ToString(), bytes), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
        Assert.Contains(mention, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadQueryAsync_DuplicateJsonKey_Refused()
    {
        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() =>
            Reader.ReadQueryAsync(HttpTestRequests.Json("""{"image_blob": "a.png", "question": "q", "question": "r"}"""), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
    }

    [Theory]
    [InlineData("https://evil.example/x.png")]
    [InlineData("//evil.example/x.png")]
    [InlineData("/inbox/x.png")]
    [InlineData("a/../../results/x.json")]
    [InlineData("..")]
    [InlineData("a/%2e%2e/x.png")]
    [InlineData("a\\..\\x.png")]
    [InlineData("a//x.png")]
    [InlineData("./x.png")]
    [InlineData("x\u0000.png")]
    [InlineData("")]
    public void BlobName_OutsideTheInbox_Refused(string reference) =>
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Throws<Gpt4RoIException>(() => InboxImages.BlobName(reference)).Code);

    [Theory]
    [InlineData("inbox/a/b.png", "a/b.png")]
    [InlineData("a/b.png", "a/b.png")]
    [InlineData("results/x.png", "results/x.png")]
    public void BlobName_PlainName_StaysInTheInbox(string reference, string name) =>
        Assert.Equal(name, InboxImages.BlobName(reference));

    [Fact]
    public async Task WriteAsync_FailureAfterTheFirstEvent_EndsWithOneErrorEvent()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await writer.WriteAsync(response, Failing(new InvalidOperationException("secret internals")), n => new SseEvent("token", new { n }), default);

        var body = Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
        Assert.Equal(200, response.StatusCode);
        Assert.StartsWith("event: token\ndata: {\"n\":1}\n\n", body, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        Assert.Contains("event: error\ndata: {\"status\":500,\"code\":\"internal\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret internals", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_UserErrorAfterTheFirstEvent_ErrorEventCarriesCodeAndDetail()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await writer.WriteAsync(response, Failing(new Gpt4RoIException(ErrorCode.LimitExceeded, "too long")), n => new SseEvent("token", new { n }), default);

        var body = Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
        Assert.Contains("""event: error""" + "\n" + """data: {"status":413,"code":"limit_exceeded","title":"limit exceeded","detail":"too long"}""", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_FailureBeforeTheFirstEvent_ThrowsAndWritesNothing()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await Assert.ThrowsAsync<Gpt4RoIException>(() => writer.WriteAsync(response, Failing(new Gpt4RoIException(ErrorCode.InvalidImage, "bad"), first: false), n => new SseEvent("token", new { n }), default));

        Assert.Equal(0, response.Body.Length);
        Assert.Null(response.ContentType);
    }

    private static async IAsyncEnumerable<int> Failing(Exception ex, bool first = true)
    {
        await Task.Yield();
        if (first)
        {
            yield return 1;
        }

        throw ex;
    }
}
