using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace GPT4RoI.Functions.WebPage;

/// <summary>
/// The browser page: <c>GET /api/app/</c> (index.html) and <c>GET /api/app/{file}</c>, anonymous. Only the files
/// that were in <c>wwwroot/</c> (copied next to the app) when it started are served, looked up by their exact
/// relative name, so no request can reach outside that folder. Responses carry a strong ETag (304 on a match)
/// and <c>Cache-Control: no-cache</c> (the files are not fingerprinted, so browsers revalidate).
/// </summary>
public sealed class WebPageFunctions
{
    private static readonly Lazy<WebAssets> DefaultAssets =
        new(() => WebAssets.Load(Path.Combine(AppContext.BaseDirectory, "wwwroot")));

    private readonly WebAssets _assets;

    public WebPageFunctions()
        : this(DefaultAssets.Value)
    {
    }

    internal WebPageFunctions(WebAssets assets) => _assets = assets;

    [Function("WebPage")]
    public IActionResult Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "app/{*path}")] HttpRequest request, string? path)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(path))
        {
            // The page's relative URLs (app.js, ../health) need the trailing slash; keep ?code= and ?session=.
            if (request.Path.Value?.EndsWith('/') != true)
            {
                return new RedirectResult($"{request.PathBase}{request.Path}/{request.QueryString}", permanent: false);
            }

            path = "index.html";
        }

        if (!_assets.TryGet(path, out var asset))
        {
            return new NotFoundResult();
        }

        var headers = request.HttpContext.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (asset.ContentType.StartsWith("text/html", StringComparison.Ordinal))
        {
            headers.ContentSecurityPolicy = WebAssets.ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
        }

        // FileContentResult answers If-None-Match with 304 itself.
        return new FileContentResult(asset.Content, asset.ContentType) { EntityTag = asset.ETag };
    }
}
