using GPT4RoI.Core.Inference;
using GPT4RoI.Functions.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace GPT4RoI.Functions.Functions;

public sealed class HttpFunctions(IQueryService queries, Gpt4RoIEngine engine)
{
    [Function("Query")]
    public Task<IActionResult> QueryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "query")] HttpRequest request,
        CancellationToken cancellationToken) =>
        queries.HandleAsync(request, cancellationToken);

    [Function("Health")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        new JsonResult(new
        {
            status = "ok",
            model = engine.ModelId,
            variant = engine.Folder.Variant,
            execution_provider = engine.ExecutionProvider,
            image_cache = new { entries = engine.Cache.Count, bytes = engine.Cache.Bytes },
        });
}
