using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace GPT4RoI.Functions.Http;

/// <summary>
/// Reads request bodies with every limit enforced while reading, whatever the framing (Content-Length or chunked):
/// JSON bodies up to <see cref="FunctionsOptions.MaxRequestJsonBytes"/>, multipart bodies as a stream of at most two
/// known parts (<c>image</c> up to <see cref="FunctionsOptions.MaxImageBytes"/>, <c>request</c> up to the JSON limit)
/// with bounded part headers. Nothing is buffered beyond those limits, and duplicate JSON keys are refused.
/// </summary>
public sealed class HttpRequestReader(IOptions<FunctionsOptions> options)
{
    private const int MaxPartHeaderBytes = 8 * 1024;
    private const int MaxPartHeaders = 8;

    /// <summary>A query-shaped body: multipart (parts <c>image</c> and <c>request</c>) or JSON whose
    /// <c>image_blob</c> names the image. Returns the request and the uploaded image, if one was uploaded.</summary>
    /// <exception cref="Gpt4RoIException">The body is malformed, too large, or of another content type.</exception>
    public Task<(QueryRequest Request, byte[]? Upload)> ReadQueryAsync(HttpRequest http, CancellationToken cancellationToken) =>
        ReadWithImageAsync(http, r => r.ImageBlob, () => new QueryRequest(), cancellationToken);

    /// <summary>A body of type <typeparamref name="T"/> that names or carries one image, read like
    /// <see cref="ReadQueryAsync"/>: multipart (parts <c>image</c> and <c>request</c>) or JSON whose <c>image_blob</c>
    /// (<paramref name="imageBlob"/>) names the image.</summary>
    /// <exception cref="Gpt4RoIException">The body is malformed, too large, or of another content type.</exception>
    public async Task<(T Request, byte[]? Upload)> ReadWithImageAsync<T>(HttpRequest http, Func<T, string?> imageBlob, Func<T> empty,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(imageBlob);
        ArgumentNullException.ThrowIfNull(empty);
        var o = options.Value;
        RefuseDeclaredLength(http, o.MaxImageBytes + o.MaxRequestJsonBytes + MaxPartHeaderBytes);
        if (IsMultipart(http, out var boundary))
        {
            var (requestJson, image) = await ReadMultipartAsync(http, boundary, cancellationToken).ConfigureAwait(false);
            var request = requestJson is null ? empty() : Parse<T>(requestJson, "the 'request' part");
            if (image is null)
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "the multipart body needs a file part named 'image'");
            }

            if (imageBlob(request) is not null)
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "give the image as the 'image' part or as image_blob, not both");
            }

            return (request, image);
        }

        if (IsJson(http))
        {
            return (Parse<T>(await ReadJsonBodyAsync(http, cancellationToken).ConfigureAwait(false), "the request body"), null);
        }

        throw new Gpt4RoIException(ErrorCode.UnsupportedMediaType,
            $"send multipart/form-data (parts 'image' and 'request') or application/json with image_blob; got '{http.ContentType}'");
    }

    /// <summary>A JSON body of type <typeparamref name="T"/> (e.g. <see cref="TurnRequest"/>).</summary>
    /// <exception cref="Gpt4RoIException">The body is not JSON, malformed, too large, or not of that shape.</exception>
    public async Task<T> ReadJsonAsync<T>(HttpRequest http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        RefuseDeclaredLength(http, options.Value.MaxRequestJsonBytes);
        if (!IsJson(http))
        {
            throw new Gpt4RoIException(ErrorCode.UnsupportedMediaType, $"send application/json; got '{http.ContentType}'");
        }

        return Parse<T>(await ReadJsonBodyAsync(http, cancellationToken).ConfigureAwait(false), "the request body");
    }

    /// <summary>Parses contract JSON; a null document, bad syntax, an unknown or repeated member are refused.</summary>
    /// <exception cref="Gpt4RoIException"><see cref="ErrorCode.InvalidRequest"/>, naming <paramref name="what"/>.</exception>
    public static T Parse<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, ContractJson.Options)
                ?? throw new Gpt4RoIException(ErrorCode.InvalidRequest, $"{what} is JSON null");
        }
        catch (JsonException ex)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, $"{what} is not valid: {ex.Message}", ex);
        }
    }

    private static void RefuseDeclaredLength(HttpRequest http, long max)
    {
        if (http.ContentLength > max)
        {
            throw new Gpt4RoIException(ErrorCode.LimitExceeded,
                string.Create(CultureInfo.InvariantCulture, $"the body has {http.ContentLength} bytes; the limit is {max}"));
        }
    }

    private static bool IsJson(HttpRequest http) =>
        http.ContentType is { } type && type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    private static bool IsMultipart(HttpRequest http, out string boundary)
    {
        boundary = "";
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 200)
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "the multipart content type needs a boundary of 1 to 200 characters");
        }

        return true;
    }

    private Task<byte[]> ReadJsonBodyAsync(HttpRequest http, CancellationToken cancellationToken) =>
        ReadBoundedAsync(http.Body, options.Value.MaxRequestJsonBytes, "the request body", cancellationToken);

    private async Task<(byte[]? Request, byte[]? Image)> ReadMultipartAsync(HttpRequest http, string boundary, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var reader = new MultipartReader(boundary, http.Body)
        {
            HeadersLengthLimit = MaxPartHeaderBytes,
            HeadersCountLimit = MaxPartHeaders,
            BodyLengthLimit = Math.Max(o.MaxImageBytes, o.MaxRequestJsonBytes),
        };
        byte[]? request = null, image = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new Gpt4RoIException(ErrorCode.InvalidRequest, "every multipart part needs Content-Disposition: form-data with a name");
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                switch (name)
                {
                    case "image" when image is null:
                        image = await ReadBoundedAsync(section.Body, o.MaxImageBytes, "the 'image' part", cancellationToken).ConfigureAwait(false);
                        break;
                    case "request" when request is null:
                        request = await ReadBoundedAsync(section.Body, o.MaxRequestJsonBytes, "the 'request' part", cancellationToken).ConfigureAwait(false);
                        break;
                    case "image" or "request":
                        throw new Gpt4RoIException(ErrorCode.InvalidRequest, $"the multipart body has more than one '{name}' part");
                    default:
                        throw new Gpt4RoIException(ErrorCode.InvalidRequest,
                            $"the multipart body has an unexpected part '{Truncate(name)}'; the parts are 'image' and 'request'");
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or (IOException and not BadHttpRequestException))
        {
            // MultipartReader's own limits (part headers, a part over BodyLengthLimit) and malformed framing; a body
            // that ends inside a part is an IOException ("Unexpected end of Stream"), found by fuzzing.
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, $"the multipart body is malformed or over a limit: {ex.Message}", ex);
        }

        return (request, image);
    }

    /// <summary>Reads a stream to its end, refusing it as soon as it passes <paramref name="max"/> bytes.</summary>
    internal static async Task<byte[]> ReadBoundedAsync(Stream stream, long max, string what, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw new Gpt4RoIException(ErrorCode.LimitExceeded,
                    string.Create(CultureInfo.InvariantCulture, $"{what} is over the limit of {max} bytes"));
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string Truncate(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";
}
