using System.Globalization;
using GPT4RoI.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace GPT4RoI.Functions.Http;

/// <summary>
/// The one mapping from an <see cref="ErrorCode"/> to an HTTP answer: RFC 9457 problem details
/// (<c>application/problem+json</c>) with the status and title below, the error's message as <c>detail</c>, and the
/// code itself as the <c>code</c> extension; <c>Retry-After</c> for <see cref="ErrorCode.Busy"/>.
/// </summary>
public static class ProblemResults
{
    /// <summary>The HTTP status and title of a code.</summary>
    public static (int Status, string Title) Describe(ErrorCode code) => code switch
    {
        ErrorCode.InvalidRequest => (StatusCodes.Status400BadRequest, "invalid request"),
        ErrorCode.InvalidImage => (StatusCodes.Status422UnprocessableEntity, "invalid image"),
        ErrorCode.UnsupportedImage => (StatusCodes.Status415UnsupportedMediaType, "unsupported image"),
        ErrorCode.InvalidRegion => (StatusCodes.Status422UnprocessableEntity, "invalid region"),
        ErrorCode.InvalidQuestion => (StatusCodes.Status422UnprocessableEntity, "invalid question"),
        ErrorCode.InvalidManifest => (StatusCodes.Status422UnprocessableEntity, "invalid manifest"),
        ErrorCode.LimitExceeded => (StatusCodes.Status413PayloadTooLarge, "limit exceeded"),
        ErrorCode.UnsupportedMediaType => (StatusCodes.Status415UnsupportedMediaType, "unsupported media type"),
        ErrorCode.NotFound => (StatusCodes.Status404NotFound, "not found"),
        ErrorCode.SessionNotFound => (StatusCodes.Status404NotFound, "session not found"),
        ErrorCode.SessionExpired => (StatusCodes.Status409Conflict, "session expired"),
        ErrorCode.SessionNotRunning => (StatusCodes.Status409Conflict, "session not running"),
        ErrorCode.ImageMissing => (StatusCodes.Status410Gone, "image missing"),
        ErrorCode.Busy => (StatusCodes.Status503ServiceUnavailable, "busy"),
        ErrorCode.ModelError => (StatusCodes.Status503ServiceUnavailable, "model unavailable"),
        ErrorCode.DetectorError => (StatusCodes.Status503ServiceUnavailable, "detector unavailable"),
        ErrorCode.FailedAfterRetries => (StatusCodes.Status500InternalServerError, "failed after retries"),
        ErrorCode.ResultConflict => (StatusCodes.Status409Conflict, "result conflict"),
        _ => (StatusCodes.Status500InternalServerError, "internal error"),
    };

    /// <summary>The problem answer of a user-facing failure.</summary>
    public static ObjectResult From(HttpRequest http, Gpt4RoIException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Of(http, exception.Code, exception.Message, exception.RetryAfter);
    }

    /// <summary>A problem answer for <paramref name="code"/> with <paramref name="detail"/>.</summary>
    public static ObjectResult Of(HttpRequest http, ErrorCode code, string detail, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var (status, title) = Describe(code);
        if (retryAfter is { } wait)
        {
            http.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = http.Path };
        problem.Extensions["code"] = ErrorCodeJsonConverter.WireName(code);
        var result = new ObjectResult(problem) { StatusCode = status };
        result.ContentTypes.Add("application/problem+json");
        return result;
    }

    /// <summary>The answer to an unexpected failure: no internals are shown, only where to look.</summary>
    public static ObjectResult Internal(HttpRequest http, string traceId) =>
        Of(http, ErrorCode.Internal, $"the request failed unexpectedly; the service logs hold the details (trace {traceId})");
}
