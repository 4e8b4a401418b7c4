using System.Diagnostics;
using GPT4RoI.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Http;

/// <summary>
/// Runs an HTTP function's handler and turns every failure into an answer in one place: a
/// <see cref="Gpt4RoIException"/> into its problem details, a client that went away into nothing, anything else into a
/// logged 500 problem that shows no internals. Each request is logged once with its outcome.
/// </summary>
public static class HttpEndpoint
{
    /// <summary>Runs <paramref name="handler"/> for <paramref name="http"/>.</summary>
    public static async Task<IActionResult> RunAsync(HttpRequest http, ILogger logger, Func<Task<IActionResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(handler);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await handler().ConfigureAwait(false);
            Logs.HttpAnswered(logger, http.Method, http.Path, StatusOf(result, http), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (Gpt4RoIException ex)
        {
            var problem = ProblemResults.From(http, ex);
            Logs.HttpRejected(logger, http.Method, http.Path, problem.StatusCode ?? 0, ErrorCodeJsonConverter.WireName(ex.Code), ex.Message);
            return problem;
        }
        catch (OperationCanceledException) when (http.HttpContext.RequestAborted.IsCancellationRequested)
        {
            Logs.ClientGone(logger, http.Method, http.Path);
            return new EmptyResult();
        }
        catch (Exception ex)
        {
            var trace = Activity.Current?.TraceId.ToString() ?? http.HttpContext.TraceIdentifier;
            Logs.HttpFailed(logger, ex, http.Method, http.Path, trace);
            return ProblemResults.Internal(http, trace);
        }
    }

    private static int StatusOf(IActionResult result, HttpRequest http) => result switch
    {
        IStatusCodeActionResult { StatusCode: { } status } => status,
        EmptyResult => http.HttpContext.Response.StatusCode,
        _ => StatusCodes.Status200OK,
    };
}
