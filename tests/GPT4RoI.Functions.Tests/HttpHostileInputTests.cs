using System.Text;
using Azure.Storage.Blobs;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Tests;

/// <summary>
/// Hostile request bodies, blob references and event streams (docs/security.md): every limit holds whatever the
/// framing, every refusal is a user error, every stream failure ends with an error event.
/// </summary>
public sealed class HttpHostileInputTests
{
    private const string Boundary = "b0undary";
    private static readonly HttpRequestReader Reader = new(Options.Create(new FunctionsOptions { MaxImageBytes = 4096, MaxRequestJsonBytes = 1024 }));

    private static HttpRequest ChunkedMultipart(string body) =>
        HttpTestRequests.Chunked($"multipart/form-data; boundary={Boundary}", Encoding.UTF8.GetBytes(body.ReplaceLineEndings("\r\n")));

    private static string Part(string name, string content, string extraHeaders = "") =>
        $"--{Boundary}\nContent-Disposition: form-data; name=\"{name}\"\n{extraHeaders}\n{content}\n";

    [Fact]
    public async Task ReadQueryAsync_ChunkedJsonBodyOverTheLimit_RefusedWhileReading()
    {
        var body = Encoding.UTF8.GetBytes("""{"image_blob": "a.png", "question": """ + "\"" + new string('x', 5000) + "\"}");

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(HttpTestRequests.Chunked("application/json", body), default));

        Assert.Equal(ErrorCode.LimitExceeded, ex.Code);
        Assert.Contains("the request body is over the limit of 1024 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadQueryAsync_ChunkedRequestPartOverTheJsonLimit_RefusedWhileReading()
    {
        var body = Part("request", "{\"question\": \"" + new string('q', 2000) + "\"}") + Part("image", "png") + $"--{Boundary}--\n";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.LimitExceeded, ex.Code);
        Assert.Contains("'request' part", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadQueryAsync_DeclaredLengthOverTheLimit_RefusedBeforeReading()
    {
        var request = HttpTestRequests.Json("{}");
        request.ContentLength = 10_000_000;
        request.Body = new UnreadableStream();

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(request, default));

        Assert.Equal(ErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadJsonAsync_DeclaredLengthOverTheLimit_RefusedBeforeReading()
    {
        var request = HttpTestRequests.Json("{}", path: "/api/sessions/x/turns");
        request.ContentLength = 2048;
        request.Body = new UnreadableStream();

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadJsonAsync<TurnRequest>(request, default));

        Assert.Equal(ErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadQueryAsync_PartHeadersOverTheLimit_Refused()
    {
        var body = Part("image", "png", $"X-Pad: {new string('h', 9000)}\n") + $"--{Boundary}--\n";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public async Task ReadQueryAsync_TooManyPartHeaders_Refused()
    {
        var headers = string.Concat(Enumerable.Range(0, 12).Select(i => $"X-H{i}: v\n"));
        var body = Part("image", "png", headers) + $"--{Boundary}--\n";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public async Task ReadQueryAsync_BodyEndsInsideAPart_InvalidRequest()
    {
        // Found by fuzzing (multipart target): MultipartReader throws IOException("Unexpected end of Stream").
        var body = $"--{Boundary}\nContent-Disposition: form-data; name=\"image\"\n\n\u0089PNG and then nothing";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadQueryAsync_ThreeParts_RefusedAtTheThird()
    {
        var body = Part("image", "png") + Part("request", """{"question": "q"}""") + Part("request", "{}") + $"--{Boundary}--\n";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
        Assert.Contains("more than one 'request' part", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadJsonAsync_TurnWithDuplicateKey_Refused()
    {
        var request = HttpTestRequests.Json("""{"question": "What is <region1>?", "regions": [[1, 1, 5, 5]], "regions": []}""", path: "/api/sessions/x/turns");

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadJsonAsync<TurnRequest>(request, default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public async Task ReadQueryAsync_MultipartRequestPartWithDuplicateKey_Refused()
    {
        var body = Part("image", "png") + Part("request", """{"question": "a", "question": "b"}""") + $"--{Boundary}--\n";

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => Reader.ReadQueryAsync(ChunkedMultipart(body), default));

        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
        Assert.Contains("'request' part", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inbox/../results/x.json")]
    [InlineData("inbox/")]
    [InlineData("a/./b.png")]
    [InlineData("a/b.png/")]
    [InlineData("a/.")]
    [InlineData("%2e%2e/results/x.json")]
    [InlineData("a%2F..%2Fresults%2Fx.json")]
    [InlineData("a/%252e%252e/x.png")]
    [InlineData("https://otheraccount.blob.core.windows.net/inbox/x.png")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/inbox/x.png")]
    [InlineData("file:///etc/passwd")]
    [InlineData("\\\\server\\share\\x.png")]
    [InlineData("C:\\images\\x.png")]
    [InlineData("a\tb.png")]
    [InlineData("a\nb.png")]
    [InlineData("a\u007Fb.png")]
    [InlineData(" ")]
    public void BlobName_MoreFormsOutsideTheInbox_Refused(string reference) =>
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Throws<Gpt4RoIException>(() => InboxImages.BlobName(reference)).Code);

    [Fact]
    public void BlobName_OverTheLengthLimit_Refused() =>
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Throws<Gpt4RoIException>(() => InboxImages.BlobName(new string('a', 1025))).Code);

    [Theory]
    [InlineData("a?sv=2024&sig=x.png", "a?sv=2024&sig=x.png")]
    [InlineData("a#frag.png", "a#frag.png")]
    [InlineData("inbox/inbox/x.png", "inbox/x.png")]
    [InlineData("a/\u2215..\u2215x.png", "a/\u2215..\u2215x.png")]
    [InlineData("a/\uFF0E\uFF0E/x.png", "a/\uFF0E\uFF0E/x.png")]
    public void BlobName_QueryFragmentAndLookalikeCharacters_StayInTheInboxPath(string reference, string name)
    {
        var inbox = new BlobContainerClient(new Uri("http://127.0.0.1:10000/devstoreaccount1/inbox"));

        var uri = inbox.GetBlobClient(InboxImages.BlobName(reference)).Uri;

        // Escaped into the path: no query (no SAS smuggling), no fragment, same account and container.
        Assert.Equal(("127.0.0.1", 10000, "", ""), (uri.Host, uri.Port, uri.Query, uri.Fragment));
        Assert.Equal("/devstoreaccount1/inbox/" + name, Uri.UnescapeDataString(uri.AbsolutePath));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public void ImageLimits_AllowLosslessWebpSetting_ReachesTheDecoderLimits(string? setting, bool allowed)
    {
        var settings = new Dictionary<string, string?>();
        if (setting is not null)
        {
            settings["Gpt4RoI:AllowLosslessWebp"] = setting;
        }

        using var sp = new AzuriteFixture().BuildServices(settings);

        var limits = sp.GetRequiredService<GPT4RoI.Core.Imaging.ImageLimits>();
        Assert.Equal((allowed, 20L * 1024 * 1024), (limits.AllowLosslessWebp, limits.MaxBytes));
    }

    [Fact]
    public async Task WriteAsync_CancellationNotFromTheClient_EndsWithErrorEvent()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await writer.WriteAsync(response, Failing(new OperationCanceledException("engine stopped")), n => new SseEvent("token", new { n }), default);

        var body = Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        Assert.Contains("event: error\ndata: {\"status\":500,\"code\":\"internal\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_EventFormatFailsMidStream_EndsWithErrorEvent()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await writer.WriteAsync(
            response,
            Numbers(3),
            n => n < 2 ? new SseEvent("token", new { n }) : throw new InvalidOperationException("cannot format"),
            default);

        var body = Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
        Assert.StartsWith("event: token\ndata: {\"n\":1}\n\n", body, StringComparison.Ordinal);
        Assert.Single(body.Split("event: error\n"), s => s.StartsWith("data: {\"status\":500", StringComparison.Ordinal));
        Assert.DoesNotContain("cannot format", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ErrorDetailWithNewlines_StaysOneEvent()
    {
        var response = HttpTestRequests.Json("{}").HttpContext.Response;
        var writer = new SseWriter(NullLogger<SseWriter>.Instance);

        await writer.WriteAsync(
            response, Failing(new Gpt4RoIException(ErrorCode.InvalidQuestion, "bad\n\nevent: result\ndata: {}")), n => new SseEvent("token", new { n }), default);

        var body = Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
        // The detail is JSON-escaped on one data line: no line of the stream starts a second event.
        Assert.DoesNotContain("event: result", body.Split('\n'));
        Assert.Equal(2, body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async IAsyncEnumerable<int> Failing(Exception ex)
    {
        await Task.Yield();
        yield return 1;
        throw ex;
    }

    private static async IAsyncEnumerable<int> Numbers(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    /// <summary>A body that fails the test if anything reads it.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the body was read");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the body was read");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the body was read");
    }
}
