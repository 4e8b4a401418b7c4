using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;

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

/// <summary>One served file.</summary>
internal sealed record WebAsset(byte[] Content, string ContentType, EntityTagHeaderValue ETag);

/// <summary>The allow-list of page files: everything under the folder with a known type, read once.</summary>
internal sealed class WebAssets
{
    /// <summary>Same origin only; no inline script or style; images may be blob: (the opened image) or data:.</summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, WebAsset> _files;

    private WebAssets(FrozenDictionary<string, WebAsset> files) => _files = files;

    /// <summary>The relative names served, '/'-separated.</summary>
    internal IEnumerable<string> Names => _files.Keys;

    /// <summary>Reads the folder (a missing folder serves nothing). Hidden files and folders are skipped.</summary>
    internal static WebAssets Load(string root)
    {
        var files = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        if (Directory.Exists(root))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var name = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (name.Split('/').Any(s => s.StartsWith('.')) || !ContentTypes.TryGetValue(Path.GetExtension(name), out var type))
                {
                    continue;
                }

                var bytes = File.ReadAllBytes(file);
                var tag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
                files[name] = new WebAsset(bytes, type, tag);
            }
        }

        return new WebAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file of that exact relative name; anything else (.., backslashes, unknown names) is absent.</summary>
    internal bool TryGet(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WebAsset? asset) =>
        _files.TryGetValue(path, out asset);
}
