using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using GPT4RoI.Functions.Tests.OpenApi;
using GPT4RoI.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests.Hosting;

/// <summary>
/// The app over real HTTP (<see cref="FunctionsTestHost"/>: Kestrel, the function classes, the tiny model, Azurite, the
/// in-process durable host), each answer checked against the OpenAPI document's schema for it.
/// </summary>
[Collection("app")]
public sealed class AppHttpTests(FunctionsHostFixture fx) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fx.Host.Address, Timeout = TimeSpan.FromMinutes(2) };

    public void Dispose() => _http.Dispose();

    private static MultipartFormDataContent Upload(string? requestJson)
    {
        var content = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.SampleImage)) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "image", "shapes.png" },
        };
        if (requestJson is not null)
        {
            content.Add(new StringContent(requestJson, Encoding.UTF8, "application/json"), "request");
        }

        return content;
    }

    private static async Task<JsonElement> ConformsAsync(HttpResponseMessage response, HttpStatusCode status, string schema)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        var value = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Empty(OpenApiSchemaChecker.Check(value, schema));
        return value;
    }

    [Fact]
    public void Routes_EveryHttpFunction_Mapped()
    {
        Assert.Contains(fx.Host.Routes, r => r.Function == "Query");
        Assert.Contains(fx.Host.Routes, r => r.Function == "OpenApi");
        Assert.Contains(fx.Host.Routes, r => r.Function == "WebPage");
    }

    [Fact]
    public async Task Health_Get_ConformsToSchema()
    {
        var health = await ConformsAsync(await _http.GetAsync("api/health"), HttpStatusCode.OK, "Health");
        Assert.Equal("gpt4roi-tiny-shapes", health.GetProperty("model").GetString());
    }

    [Fact]
    public async Task OpenApi_Get_ServesTheEmbeddedDocument()
    {
        using var response = await _http.GetAsync("api/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(GPT4RoI.Functions.OpenApi.OpenApiFunctions.Content.ToArray(), await response.Content.ReadAsByteArrayAsync());
        using var again = new HttpRequestMessage(HttpMethod.Get, "api/openapi.json");
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await _http.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task Query_Upload_AnswersAndConforms()
    {
        using var content = Upload("""{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");

        var answer = await ConformsAsync(await _http.PostAsync("api/query", content), HttpStatusCode.OK, "QueryAnswer");

        Assert.Equal("a red circle", answer.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Query_Stream_TokenEventsThenResultConform()
    {
        using var content = Upload("""{"question": "What color is <region1>?", "regions": [[232,12,348,128]], "stream": true}""");

        using var response = await _http.PostAsync("api/query", content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = SseEvents(text);
        Assert.Equal("result", events[^1].Name);
        Assert.All(events[..^1], e => Assert.Equal("token", e.Name));
        Assert.All(events[..^1], e => Assert.Empty(OpenApiSchemaChecker.Check(e.Data, "TokenEvent")));
        Assert.Empty(OpenApiSchemaChecker.Check(events[^1].Data, "QueryAnswer"));
        Assert.Equal("green", string.Concat(events[..^1].Select(e => e.Data.GetProperty("text").GetString())).Trim());
    }

    [Fact]
    public async Task Sessions_StreamedCreateAndTurns_EveryEventConformsToItsSchema()
    {
        using var content = Upload("""{"question": "What is <region1>?", "regions": [[95,70,215,190]], "stream": true}""");
        using var createdResponse = await _http.PostAsync("api/sessions", content);
        Assert.Equal(HttpStatusCode.OK, createdResponse.StatusCode);
        Assert.Equal("text/event-stream", createdResponse.Content.Headers.ContentType!.MediaType);
        var created = SseEvents(await createdResponse.Content.ReadAsStringAsync());
        Assert.Equal(["session", "turn"], created.Take(2).Select(e => e.Name));
        Assert.Equal("result", created[^1].Name);
        Assert.Empty(OpenApiSchemaChecker.Check(created[0].Data, "SessionCreated"));
        Assert.Empty(OpenApiSchemaChecker.Check(created[1].Data, "TurnAccepted"));
        Assert.All(created[2..^1], e => Assert.Empty(OpenApiSchemaChecker.Check(e.Data, "TokenEvent")));
        Assert.Empty(OpenApiSchemaChecker.Check(created[^1].Data, "SessionCreated"));
        Assert.Equal("a red circle", created[^1].Data.GetProperty("turn").GetProperty("answer").GetString());
        var id = created[0].Data.GetProperty("id").GetString()!;
        Assert.Equal(new Uri(fx.Host.Address, $"api/sessions/{id}"), createdResponse.Headers.Location);

        using var turnRequest = new HttpRequestMessage(HttpMethod.Post, $"api/sessions/{id}/turns")
        {
            Content = JsonContent.Create(new { question = "What color is <region2>?", regions = new[] { new[] { 232, 12, 348, 128 } } }),
            Headers = { Accept = { new MediaTypeWithQualityHeaderValue("text/event-stream") } },
        };
        using var turnResponse = await _http.SendAsync(turnRequest);
        var turn = SseEvents(await turnResponse.Content.ReadAsStringAsync());
        Assert.Equal("turn", turn[0].Name);
        Assert.All(turn[1..^1], e => Assert.Equal("token", e.Name));
        Assert.Empty(OpenApiSchemaChecker.Check(turn[^1].Data, "SessionTurn"));
        Assert.Equal("green", string.Concat(turn[1..^1].Select(e => e.Data.GetProperty("text").GetString())).Trim());
        Assert.Equal("green", turn[^1].Data.GetProperty("answer").GetString());

        using var refusedResponse = await _http.PostAsJsonAsync($"api/sessions/{id}/turns", new { question = "What is <region9>?", stream = true });
        var refused = SseEvents(await refusedResponse.Content.ReadAsStringAsync());
        Assert.Equal(["turn", "error"], refused.Select(e => e.Name));
        Assert.Empty(OpenApiSchemaChecker.Check(refused[1].Data, "StreamError"));
        Assert.Equal(refused[0].Data.GetProperty("turn_id").GetString(), refused[1].Data.GetProperty("turn_id").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"api/sessions/{id}")).StatusCode);
    }

    /// <summary>The events of a server-sent event stream: each one's name and JSON data.</summary>
    private static List<(string Name, JsonElement Data)> SseEvents(string text) =>
        [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n'))
            .Select(lines => (Name: lines.First(l => l.StartsWith("event: ", StringComparison.Ordinal))[7..],
                Data: JsonDocument.Parse(lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement.Clone()))];

    [Fact]
    public async Task Query_InvertedBox_ProblemConforms()
    {
        using var content = Upload("""{"question": "What is <region1>?", "regions": [[300,300,100,100]]}""");

        using var response = await _http.PostAsync("api/query", content);
        var problem = await ConformsAsync(response, HttpStatusCode.UnprocessableEntity, "Problem");

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("invalid_region", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Sessions_CreateTurnGetDelete_ConformToSchemas()
    {
        using var content = Upload("""{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""");
        using var createdResponse = await _http.PostAsync("api/sessions", content);
        var created = await ConformsAsync(createdResponse, HttpStatusCode.Created, "SessionCreated");
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(new Uri(fx.Host.Address, $"api/sessions/{id}"), createdResponse.Headers.Location);
        Assert.Equal("a red circle", created.GetProperty("turn").GetProperty("answer").GetString());

        var turn = await ConformsAsync(await _http.PostAsJsonAsync($"api/sessions/{id}/turns",
            new { question = "What color is <region2>?", regions = new[] { new[] { 232, 12, 348, 128 } } }), HttpStatusCode.OK, "SessionTurn");
        Assert.Equal("green", turn.GetProperty("answer").GetString());
        await ConformsAsync(await _http.PostAsJsonAsync($"api/sessions/{id}/turns", new { question = "What is <region9>?" }),
            HttpStatusCode.UnprocessableEntity, "Problem");

        var view = await ConformsAsync(await _http.GetAsync($"api/sessions/{id}"), HttpStatusCode.OK, "SessionView");
        Assert.Equal(3, view.GetProperty("turns").GetArrayLength());
        // The orchestration sets its status after the turn is in the transcript: wait for it.
        for (var i = 0; i < 100 && !(view.TryGetProperty("custom_status", out var status) && status.TryGetProperty("turns", out var n) && n.GetInt32() == 3); i++)
        {
            await Task.Delay(100);
            view = await ConformsAsync(await _http.GetAsync($"api/sessions/{id}"), HttpStatusCode.OK, "SessionView");
        }

        Assert.True(view.TryGetProperty("custom_status", out var custom), view.ToString());
        Assert.Equal(3, custom.GetProperty("turns").GetInt32());
        Assert.Equal(view.GetProperty("turns")[2].GetProperty("turn_id").GetString(), custom.GetProperty("last_turn_id").GetString());

        using (var image = await _http.GetAsync($"api/sessions/{id}/image"))
        {
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
            Assert.Equal(File.ReadAllBytes(RepoPaths.SampleImage), await image.Content.ReadAsByteArrayAsync());
            Assert.Equal($"\"{view.GetProperty("image").GetProperty("sha256").GetString()}\"", image.Headers.ETag!.Tag);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"api/sessions/{id}")).StatusCode);
        await ConformsAsync(await _http.GetAsync($"api/sessions/{id}/image"), HttpStatusCode.NotFound, "Problem");
        Assert.Equal("deleted", (await ConformsAsync(await _http.GetAsync($"api/sessions/{id}"), HttpStatusCode.OK, "SessionView")).GetProperty("state").GetString());
        await ConformsAsync(await _http.GetAsync("api/sessions/0123456789abcdef0123456789abcdef"), HttpStatusCode.NotFound, "Problem");
    }

    [Fact]
    public async Task SessionImage_BlobGone_410ImageMissing()
    {
        using var content = Upload(null);
        var id = (await ConformsAsync(await _http.PostAsync("api/sessions", content), HttpStatusCode.Created, "SessionCreated")).GetProperty("id").GetString()!;
        await fx.Host.Services.GetRequiredService<StorageClients>().Sessions.GetBlobClient(SessionNames.Image(id)).DeleteAsync();

        var problem = await ConformsAsync(await _http.GetAsync($"api/sessions/{id}/image"), HttpStatusCode.Gone, "Problem");

        Assert.Equal("image_missing", problem.GetProperty("code").GetString());
        await ConformsAsync(await _http.GetAsync("api/sessions/not-an-id/image"), HttpStatusCode.NotFound, "Problem");
    }

    [Fact]
    public async Task WebPage_AppWithoutSlash_RedirectsKeepingQuery()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fx.Host.Address };

        using var response = await client.GetAsync("api/app?session=abc");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/api/app/?session=abc", response.Headers.Location!.OriginalString);
        Assert.Contains("<canvas", await _http.GetStringAsync("api/app/"), StringComparison.Ordinal);
    }
}
