using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;

namespace GPT4RoI.Functions.OpenApi;

/// <summary>
/// <c>GET /api/openapi.json</c> (anonymous): the OpenAPI 3 document of every HTTP endpoint, <c>OpenApi/openapi.json</c>
/// embedded in the app. A test holds it to the code: every HTTP trigger's route and method is in it and nothing else,
/// and its schemas carry the contract types' JSON names.
/// </summary>
public sealed class OpenApiFunctions
{
    /// <summary>The embedded resource's name.</summary>
    internal const string ResourceName = "GPT4RoI.Functions.OpenApi.openapi.json";

    private static readonly Lazy<(byte[] Content, EntityTagHeaderValue ETag)> Document = new(() =>
    {
        using var stream = typeof(OpenApiFunctions).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the resource {ResourceName} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        return (bytes, new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\""));
    });

    /// <summary>The document's bytes (UTF-8 JSON).</summary>
    internal static ReadOnlyMemory<byte> Content => Document.Value.Content;

    [Function("OpenApi")]
    public static IActionResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.HttpContext.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        var (content, tag) = Document.Value;
        return new FileContentResult(content, "application/json; charset=utf-8") { EntityTag = tag };
    }
}
