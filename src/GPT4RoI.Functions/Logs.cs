using GPT4RoI.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions;

/// <summary>The app's log messages (ids in <see cref="LogEvents"/>, shared with the engine so none repeats).</summary>
internal static partial class Logs
{
    [LoggerMessage(LogEvents.JobMessageInvalid, LogLevel.Error, "Job message is not valid: {Reason}")]
    public static partial void JobMessageInvalid(ILogger logger, string reason);

    [LoggerMessage(LogEvents.JobSuperseded, LogLevel.Information, "Job {Manifest}: manifest changed since it was queued; skipped")]
    public static partial void JobSuperseded(ILogger logger, string manifest);

    [LoggerMessage(LogEvents.JobWaitingForImage, LogLevel.Information, "Job {Manifest}: waiting for image {Image}")]
    public static partial void JobWaitingForImage(ILogger logger, string manifest, string image);

    [LoggerMessage(LogEvents.JobAlreadyDone, LogLevel.Information, "Job {Manifest}: result {Result} already written; nothing to do")]
    public static partial void JobAlreadyDone(ILogger logger, string manifest, string result);

    [LoggerMessage(LogEvents.JobResultWritten, LogLevel.Information, "Job {Manifest}: wrote {Result} ({Tokens} tokens, {Ms} ms)")]
    public static partial void JobResultWritten(ILogger logger, string manifest, string result, int tokens, double ms);

    [LoggerMessage(LogEvents.JobErrorWritten, LogLevel.Warning, "Job {Manifest}: {Code}: {Reason}")]
    public static partial void JobErrorWritten(ILogger logger, string manifest, string code, string reason);

    [LoggerMessage(LogEvents.ManifestRejected, LogLevel.Warning, "Manifest {Manifest} rejected: {Reason}")]
    public static partial void ManifestRejected(ILogger logger, string manifest, string reason);

    [LoggerMessage(LogEvents.ManifestAccepted, LogLevel.Information, "Manifest {Manifest} accepted: job queued for image {Image}, {Tasks} task(s)")]
    public static partial void ManifestAccepted(ILogger logger, string manifest, string image, int tasks);

    [LoggerMessage(LogEvents.TranscriptConflict, LogLevel.Debug, "Transcript of session {Id} changed while writing; reading it again")]
    public static partial void TranscriptConflict(ILogger logger, string id);

    [LoggerMessage(LogEvents.SessionTurnRejected, LogLevel.Information, "Session {Id} turn {Turn} rejected: {Reason}")]
    public static partial void SessionTurnRejected(ILogger logger, string id, string turn, string reason);

    [LoggerMessage(LogEvents.SessionCreated, LogLevel.Information, "Session {Id} created ({Bytes} image bytes)")]
    public static partial void SessionCreated(ILogger logger, string id, int bytes);

    [LoggerMessage(LogEvents.PartialAnswerRelayFailed, LogLevel.Warning, "Session {Id} turn {Turn}: relaying the answer through storage failed; the request gets it whole when it is recorded")]
    public static partial void PartialAnswerRelayFailed(ILogger logger, Exception exception, string id, string turn);

    [LoggerMessage(LogEvents.StopWatchFailed, LogLevel.Warning, "Session {Id} turn {Turn}: its stop request could not be read or deleted in storage")]
    public static partial void StopWatchFailed(ILogger logger, Exception exception, string id, string turn);

    [LoggerMessage(LogEvents.TurnStopRequested, LogLevel.Information, "Session {Id} turn {Turn}: asked to stop ({Where})")]
    public static partial void TurnStopRequested(ILogger logger, string id, string turn, string where);

    [LoggerMessage(LogEvents.HttpAnswered, LogLevel.Information, "{Method} {Path}: {Status} in {Ms:0.0} ms")]
    public static partial void HttpAnswered(ILogger logger, string method, string path, int status, double ms);

    [LoggerMessage(LogEvents.HttpRejected, LogLevel.Information, "{Method} {Path}: {Status} {Code}: {Reason}")]
    public static partial void HttpRejected(ILogger logger, string method, string path, int status, string code, string reason);

    [LoggerMessage(LogEvents.HttpFailed, LogLevel.Error, "{Method} {Path}: failed unexpectedly (trace {Trace})")]
    public static partial void HttpFailed(ILogger logger, Exception exception, string method, string path, string trace);

    [LoggerMessage(LogEvents.StreamFailed, LogLevel.Warning, "{Path}: event stream ended with an error event ({Code})")]
    public static partial void StreamFailed(ILogger logger, Exception exception, string path, string code);

    [LoggerMessage(LogEvents.ClientGone, LogLevel.Information, "{Method} {Path}: the client went away before the answer was complete")]
    public static partial void ClientGone(ILogger logger, string method, string path);

    [LoggerMessage(LogEvents.JobResultConflict, LogLevel.Error, "Job {Manifest}: result conflict at {Result}: {Reason}")]
    public static partial void JobResultConflict(ILogger logger, string manifest, string result, string reason);

    [LoggerMessage(LogEvents.JobResultMatched, LogLevel.Information, "Job {Manifest}: {Result} has no valid content hash but says the same as this run; kept, nothing to do")]
    public static partial void JobResultMatched(ILogger logger, string manifest, string result);
}
