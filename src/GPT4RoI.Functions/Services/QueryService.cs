using System.Text.Json;
using Azure;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Jobs;
using GPT4RoI.Core.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Services;

/// <summary>The body of <c>POST /api/query</c> (JSON, or the <c>request</c> part of a multipart upload).</summary>
public sealed record QueryRequest
{
    /// <summary>A blob in this app's inbox container: <c>inbox/name.png</c> or <c>name.png</c>. URLs are refused.</summary>
    public string? ImageBlob { get; init; }
    public string Question { get; init; } = "";
    public List<double[]>? Regions { get; init; }
    public GenerationSettings? Generation { get; init; }
    /// <summary>Stream tokens as server-sent events (also when the client sends <c>Accept: text/event-stream</c>).</summary>
    public bool Stream { get; init; }
}

/// <summary>An error answered as RFC 7807 problem details.</summary>
public sealed class QueryProblemException(int status, string title, string detail, TimeSpan? retryAfter = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public QueryProblemException() : this(500, "error", "error") { }
    public QueryProblemException(string message) : this(500, "error", message) { }
    public QueryProblemException(string message, Exception inner) : this(500, "error", message) => _ = inner;
}

/// <summary>Single queries over HTTP: reads the image (upload or inbox blob), asks, answers JSON or an SSE stream.</summary>
public sealed class QueryService(StorageClients storage, Gpt4RoIEngine engine, ImageLimits imageLimits, IOptions<FunctionsOptions> options) : IQueryService, IDisposable
{
    private static readonly JsonSerializerOptions CompactJson = new(BoxManifest.JsonOptions) { WriteIndented = false };
    private readonly SemaphoreSlim _admission = new(options.Value.MaxQueuedQueries, Math.Max(1, options.Value.MaxQueuedQueries));

    public async Task<IActionResult> HandleAsync(HttpRequest http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            var (request, image) = await ReadAsync(http, ct).ConfigureAwait(false);
            if (!await _admission.WaitAsync(options.Value.QueryQueueWait, ct).ConfigureAwait(false))
            {
                throw new QueryProblemException(503, "busy", "every engine slot is taken; try again later", TimeSpan.FromSeconds(5));
            }

            try
            {
                return await AnswerAsync(http, request, image, ct).ConfigureAwait(false);
            }
            finally
            {
                _admission.Release();
            }
        }
        catch (Exception ex) when (ToProblem(http, ex) is { } problem)
        {
            return problem;
        }
    }

    /// <summary>The problem details answer for an input error (null for other exceptions, which propagate).</summary>
    internal static IActionResult? ToProblem(HttpRequest http, Exception ex)
    {
        switch (ex)
        {
            case QueryProblemException p:
                return Problem(http, p.Status, p.Title, p.Message, p.RetryAfter);
            case ImageInputException image:
                var status = image.Reason switch
                {
                    ImageInputReason.UnsupportedFormat => 415,
                    ImageInputReason.TooLarge or ImageInputReason.TooManyPixels => 413,
                    _ => 422,
                };
                return Problem(http, status, "invalid image", image.Message);
            case RegionInputException or PromptException or FormatException:
                return Problem(http, 422, ex is PromptException ? "invalid question" : "invalid region", ex.Message);
            default:
                return null;
        }
    }

    private Task<(QueryRequest Request, byte[] Image)> ReadAsync(HttpRequest http, CancellationToken ct) =>
        ReadRequestAsync(http, storage, options.Value, questionRequired: true, ct);

    /// <summary>Reads a query-shaped request: multipart (parts <c>image</c> and <c>request</c>) or JSON with
    /// <c>image_blob</c> (a blob in the inbox container). Throws <see cref="QueryProblemException"/> for bad input.</summary>
    internal static async Task<(QueryRequest Request, byte[] Image)> ReadRequestAsync(HttpRequest http, StorageClients storage,
        FunctionsOptions options, bool questionRequired, CancellationToken ct)
    {
        var max = options.MaxImageBytes + options.MaxManifestBytes;
        if (http.ContentLength > max)
        {
            throw new QueryProblemException(413, "request too large", $"the body has {http.ContentLength} bytes; the limit is {max}");
        }

        if (http.HasFormContentType && http.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var form = await http.ReadFormAsync(ct).ConfigureAwait(false);
            var file = form.Files.GetFile("image") ?? throw new QueryProblemException(400, "missing image", "the multipart body needs a file part named 'image'");
            if (file.Length > options.MaxImageBytes)
            {
                throw new QueryProblemException(413, "image too large", $"the image has {file.Length} bytes; the limit is {options.MaxImageBytes}");
            }

            var json = form["request"].ToString();
            if (string.IsNullOrEmpty(json) && !questionRequired)
            {
                json = "{}";
            }

            if (string.IsNullOrEmpty(json))
            {
                throw new QueryProblemException(400, "missing request", "the multipart body needs a part named 'request' holding the JSON request");
            }

            var request = Parse(json, questionRequired);
            if (request.ImageBlob is not null)
            {
                throw new QueryProblemException(400, "two images", "give the image as the 'image' part or as image_blob, not both");
            }

            using var ms = new MemoryStream();
            await file.CopyToAsync(ms, ct).ConfigureAwait(false);
            return (request, ms.ToArray());
        }

        if (http.ContentType is { } type && type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            using var reader = new StreamReader(http.Body);
            var request = Parse(await reader.ReadToEndAsync(ct).ConfigureAwait(false), questionRequired);
            return (request, await ReadBlobAsync(storage, options, request.ImageBlob, ct).ConfigureAwait(false));
        }

        throw new QueryProblemException(415, "unsupported media type",
            $"send multipart/form-data (parts 'image' and 'request') or application/json with image_blob; got '{http.ContentType}'");
    }

    internal static QueryRequest Parse(string json, bool questionRequired = true)
    {
        try
        {
            var r = JsonSerializer.Deserialize<QueryRequest>(json, BoxManifest.JsonOptions)
                ?? throw new QueryProblemException(400, "empty request", "the request JSON is null");
            if (questionRequired && string.IsNullOrWhiteSpace(r.Question))
            {
                throw new QueryProblemException(400, "missing question", "the request needs a 'question'");
            }

            if (r.Regions?.Any(b => b is null || b.Length != 4) == true)
            {
                throw new QueryProblemException(400, "bad regions", "every region must be [x1, y1, x2, y2] in pixels");
            }

            r.Generation?.Validate("generation");
            return r;
        }
        catch (JsonException ex)
        {
            throw new QueryProblemException(400, "malformed JSON", ex.Message);
        }
        catch (ManifestException ex)
        {
            throw new QueryProblemException(400, "bad generation settings", ex.Message);
        }
    }

    private static async Task<byte[]> ReadBlobAsync(StorageClients storage, FunctionsOptions options, string? reference, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw new QueryProblemException(400, "missing image", "a JSON request needs image_blob (a blob in the inbox container); or upload the image as multipart");
        }

        if (reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith("//", StringComparison.Ordinal))
        {
            throw new QueryProblemException(400, "URLs not accepted", "image_blob must be a blob name in this app's inbox container, not a URL");
        }

        var name = reference.StartsWith(StorageNames.Inbox + "/", StringComparison.Ordinal) ? reference[(StorageNames.Inbox.Length + 1)..] : reference;
        if (name.Contains("..", StringComparison.Ordinal) || name.Length == 0)
        {
            throw new QueryProblemException(400, "bad blob name", $"'{reference}' is not a blob name in the inbox container");
        }

        var blob = storage.Inbox.GetBlobClient(name);
        try
        {
            var props = await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false);
            if (props.Value.ContentLength > options.MaxImageBytes)
            {
                throw new QueryProblemException(413, "image too large", $"{reference}: {props.Value.ContentLength} bytes; the limit is {options.MaxImageBytes}");
            }

            return (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new QueryProblemException(404, "image not found", $"{StorageNames.Inbox}/{name} does not exist");
        }
    }

    private async Task<IActionResult> AnswerAsync(HttpRequest http, QueryRequest request, byte[] imageBytes, CancellationToken ct)
    {
        using var image = ImageDecoder.Decode(imageBytes, request.ImageBlob ?? "upload", imageLimits);
        using var session = engine.StartSession(image, cancellationToken: ct);
        var boxes = (request.Regions ?? []).Select(r => new BoundingBox(r[0], r[1], r[2], r[3])).ToList();
        var generation = request.Generation?.ToOptions() ?? GenerationOptions.Greedy;
        var stream = request.Stream || http.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
        if (!stream)
        {
            var result = await Task.Run(() => session.Ask(request.Question, boxes, generation, cancellationToken: ct), ct).ConfigureAwait(false);
            return new JsonResult(Body(request, boxes, result, image), BoxManifest.JsonOptions);
        }

        // Server-sent events: one "token" event per generated token, then one "result" event.
        var response = http.HttpContext.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var writer = new StreamWriter(response.Body);
        // The engine generates on a worker thread; events cross to this request through a channel, so no
        // thread blocks while waiting for the next token.
        var pending = System.Threading.Channels.Channel.CreateUnbounded<string>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var work = Task.Run(() =>
        {
            try
            {
                var r = session.Ask(request.Question, boxes, generation,
                    onToken: t =>
                    {
                        if (t.AnswerDelta.Length > 0)
                        {
                            pending.Writer.TryWrite("event: token\ndata: " + JsonSerializer.Serialize(new { id = t.TokenId, text = t.AnswerDelta }) + "\n\n");
                        }
                    },
                    cancellationToken: ct);
                pending.Writer.TryWrite("event: result\ndata: " + JsonSerializer.Serialize(Body(request, boxes, r, image), CompactJson) + "\n\n");
            }
            catch (Exception ex) when (ex is PromptException or RegionInputException or ArgumentException)
            {
                pending.Writer.TryWrite("event: error\ndata: " + JsonSerializer.Serialize(new { status = 422, detail = ex.Message }) + "\n\n");
            }
            finally
            {
                pending.Writer.Complete();
            }
        }, ct);
        await foreach (var chunk in pending.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await writer.WriteAsync(chunk).ConfigureAwait(false);
            await writer.FlushAsync(ct).ConfigureAwait(false);
        }

        await work.ConfigureAwait(false);
        return new EmptyResult();
    }

    private QueryAnswer Body(QueryRequest request, List<BoundingBox> boxes, GenerationResult r, DecodedImage image) =>
        new(TurnResult.From(request.Question, boxes, 1, r), new ImageSummary(image.Sha256, image.Width, image.Height),
            new ModelInfo(engine.ModelId, engine.Folder.Variant, engine.ExecutionProvider));

    public void Dispose() => _admission.Dispose();

    internal static IActionResult Problem(HttpRequest http, int status, string title, string detail, TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } wait)
        {
            http.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = http.Path };
        var result = new ObjectResult(problem) { StatusCode = status };
        result.ContentTypes.Add("application/problem+json");
        return result;
    }
}
