using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Functions;

/// <summary>Detect, then describe each object over HTTP (JSON answer, or server-sent events per object).</summary>
public sealed class DescribeFunctions(Lazy<DescribeService> describe, QueryService queries, HttpRequestReader reader, InboxImages inbox, SseWriter sse,
    ILogger<DescribeFunctions> logger)
{
    /// <summary><c>POST /api/describe</c>: multipart (image + request) or JSON with <c>image_blob</c>.</summary>
    [Function("Describe")]
    public Task<IActionResult> DescribeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "describe")] HttpRequest request,
        CancellationToken cancellationToken) =>
        HttpEndpoint.RunAsync(request, logger, async () =>
        {
            var (body, upload) = await reader.ReadWithImageAsync(request, r => r.ImageBlob, () => new DescribeRequest(), cancellationToken).ConfigureAwait(false);
            if (body.MinScore is { } s && (!double.IsFinite(s) || s < 0 || s >= 1))
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "min_score must be within [0, 1)");
            }

            if (body.Question is not null && string.IsNullOrWhiteSpace(body.Question))
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "'question' is empty");
            }

            var image = upload ?? await inbox.ReadAsync(body.ImageBlob, cancellationToken).ConfigureAwait(false);
            var input = new DescribeInput(image, body.ImageBlob ?? "upload", body.Question, body.Generation?.ToOptions(queries.DefaultGeneration) ?? queries.DefaultGeneration, body.MinScore);
            var service = describe.Value;
            if (!SseWriter.Wanted(request, body.Stream))
            {
                return new JsonResult(await service.DescribeAsync(input, cancellationToken).ConfigureAwait(false), ContractJson.Options);
            }

            await sse.WriteAsync(request.HttpContext.Response, service.StreamAsync(input, cancellationToken), e => e switch
            {
                ObjectsDetected d => new SseEvent("detections", new { objects = d.Objects }),
                ObjectDescribed o => new SseEvent("object", o.Described),
                DescribeCompleted c => new SseEvent("result", c.Result),
                _ => throw new InvalidOperationException($"unexpected event {e.GetType().Name}"),
            }, cancellationToken).ConfigureAwait(false);
            return new EmptyResult();
        });
}
