using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Http;

/// <summary>
/// Writes a stream of events as server-sent events (<c>text/event-stream</c>), the only place the app does. The first
/// event is awaited before the response starts, so a request refused before any output (bad image, bad box, busy)
/// still gets its proper status and problem details. After that, every failure ends the stream with one
/// <c>event: error</c> whose data is <c>{status, code, title, detail}</c>: nothing ends silently after the 200.
/// </summary>
public sealed class SseWriter(ILogger<SseWriter> logger)
{
    /// <summary>Whether a request wants events: its body asks (<paramref name="asked"/>) or it accepts <c>text/event-stream</c>.</summary>
    public static bool Wanted(HttpRequest http, bool asked)
    {
        ArgumentNullException.ThrowIfNull(http);
        return asked || http.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
    }

    /// <summary>Streams <paramref name="events"/> to <paramref name="response"/>, each turned into an event by <paramref name="format"/>.</summary>
    /// <exception cref="Gpt4RoIException">The stream failed before its first event (nothing was written).</exception>
    public async Task WriteAsync<T>(HttpResponse response, IAsyncEnumerable<T> events, Func<T, SseEvent> format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(format);
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            // Before the first event nothing is written: failures propagate to the caller's problem answer.
            var more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            // Proxies must pass events through as they come.
            response.Headers["X-Accel-Buffering"] = "no";
            try
            {
                while (more)
                {
                    await WriteEventAsync(response, format(enumerator.Current), cancellationToken).ConfigureAwait(false);
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Logs.ClientGone(logger, response.HttpContext.Request.Method, response.HttpContext.Request.Path);
            }
            catch (Exception ex)
            {
                var (code, detail) = ex is Gpt4RoIException known
                    ? (known.Code, known.Message)
                    : (ErrorCode.Internal, "the answer failed unexpectedly; the service logs hold the details");
                var (status, title) = ProblemResults.Describe(code);
                Logs.StreamFailed(logger, ex, response.HttpContext.Request.Path, ErrorCodeJsonConverter.WireName(code));
                var error = new SseEvent("error", new { status, code = ErrorCodeJsonConverter.WireName(code), title, detail });
                try
                {
                    await WriteEventAsync(response, error, CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The client is gone too: nothing more to tell it.
                }
            }
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, SseEvent e, CancellationToken cancellationToken)
    {
        var text = new StringBuilder(64)
            .Append("event: ").Append(e.Name).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(e.Data, ContractJson.Compact)).Append("\n\n")
            .ToString();
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
