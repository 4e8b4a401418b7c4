using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Functions;

/// <summary>Single questions over HTTP (JSON answer or server-sent events) and the health probe.</summary>
public sealed class QueryFunctions(QueryService queries, HttpRequestReader reader, InboxImages inbox, SseWriter sse,
    HealthService health, Lazy<DescribeService> describe, ILogger<QueryFunctions> logger)
{
    /// <summary><c>POST /api/query</c>: multipart (image + request) or JSON with <c>image_blob</c>.</summary>
    [Function("Query")]
    public Task<IActionResult> QueryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "query")] HttpRequest request,
        CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var (body, upload) = await reader.ReadQueryAsync(request, cancellationToken).ConfigureAwait(false);
            // Present but empty is the model's business: its question rules may give it a text (the official "hello, world!").
            if (body.Question is null)
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "the request needs a 'question'");
            }

            var image = upload ?? await inbox.ReadAsync(body.ImageBlob, cancellationToken).ConfigureAwait(false);
            var boxes = BoundingBox.FromArrays(body.Regions);
            if (body.Detect)
            {
                // The detected objects are the first regions (the question names them), then the given boxes.
                var detected = describe.Value.DetectRegions(image, body.ImageBlob ?? "upload");
                boxes = [.. detected.Select(d => new BoundingBox(d.Box[0], d.Box[1], d.Box[2], d.Box[3])), .. boxes];
            }

            var input = new QueryInput(image, body.ImageBlob ?? "upload", body.Question, boxes,
                body.Generation?.ToOptions(queries.DefaultGeneration));
            if (!SseWriter.Wanted(request, body.Stream))
            {
                return new JsonResult(await queries.AskAsync(input, cancellationToken).ConfigureAwait(false), ContractJson.Options);
            }

            await sse.WriteAsync(request.HttpContext.Response, queries.StreamAsync(input, cancellationToken), e => e switch
            {
                AnswerDelta d => new SseEvent("token", new { id = d.TokenId, text = d.Text }),
                QueryCompleted c => new SseEvent("result", c.Answer),
                _ => throw new InvalidOperationException($"unexpected event {e.GetType().Name}"),
            }, cancellationToken).ConfigureAwait(false);
            return new EmptyResult();
        });

    /// <summary><c>GET /api/health</c> (anonymous): the model, its execution provider and the image cache; 503 when a
    /// model file changed under the running engine.</summary>
    [Function("Health")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        var report = health.Check();
        return new JsonResult(report, ContractJson.Options)
        {
            StatusCode = report.IsHealthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
        };
    }
}
