using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace GPT4RoI.Functions.Tests;

/// <summary>Requests as the ASP.NET Core integration hands them to a function, and readers for the results.</summary>
internal static class HttpTestRequests
{
    public static HttpRequest Json(string body, string path = "/api/query", string method = "POST", string? accept = null)
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Method = method;
        ctx.Request.Path = path;
        ctx.Request.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Request.Body = new MemoryStream(bytes);
        ctx.Request.ContentLength = bytes.Length;
        if (accept is not null)
        {
            ctx.Request.Headers.Accept = accept;
        }

        ctx.Response.Body = new MemoryStream();
        return ctx.Request;
    }

    /// <summary>A body of unknown length (chunked transfer): no Content-Length for the reader to check up front.</summary>
    public static HttpRequest Chunked(string contentType, byte[] body)
    {
        var request = Json("{}");
        request.ContentType = contentType;
        request.ContentLength = null;
        request.Body = new MemoryStream(body);
        return request;
    }

    public static HttpRequest Multipart(byte[] image, string? requestJson, string path = "/api/query")
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Method = "POST";
        ctx.Request.Path = path;
        using var content = new MultipartFormDataContent("----boundary");
        content.Add(new ByteArrayContent(image), "image", "shapes.png");
        if (requestJson is not null)
        {
            content.Add(new StringContent(requestJson, Encoding.UTF8, "application/json"), "request");
        }

        var bytes = content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        ctx.Request.ContentType = content.Headers.ContentType!.ToString();
        ctx.Request.Body = new MemoryStream(bytes);
        ctx.Request.ContentLength = bytes.Length;
        ctx.Response.Body = new MemoryStream();
        return ctx.Request;
    }

    public static JsonElement Value(IActionResult r) =>
        JsonSerializer.SerializeToElement(r switch
        {
            JsonResult j => j.Value,
            ObjectResult o => o.Value,
            _ => throw new InvalidOperationException(r.GetType().Name),
        }, ContractJson.Options);

    public static int Status(IActionResult r) => r switch
    {
        JsonResult j => j.StatusCode ?? 200,
        ObjectResult o => o.StatusCode ?? 200,
        StatusCodeResult s => s.StatusCode,
        _ => 200,
    };
}
