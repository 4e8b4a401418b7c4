using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Services;

public enum JobOutcome
{
    ResultWritten,
    /// <summary>The result (or error) was already there: a redelivered message; nothing was written.</summary>
    AlreadyDone,
    ErrorWritten,
    /// <summary>The image has not arrived; the job was queued again to look later.</summary>
    WaitingForImage,
    /// <summary>The manifest changed after this job was queued; the newer upload has its own job.</summary>
    Superseded,
}

/// <summary>
/// Runs one queued job. Idempotent: the result name derives from the manifest bytes, the image bytes and the
/// model id, and blobs are written only if absent, so a message delivered twice writes once. Input errors are
/// written as error JSON and not retried; anything else is thrown so the host retries it (host.json
/// maxDequeueCount) and finally moves it to the poison queue. Inputs are never deleted.
/// </summary>
public sealed partial class JobProcessor(StorageClients storage, Gpt4RoIEngine engine, ImageLimits imageLimits,
    IOptions<FunctionsOptions> options, ILogger<JobProcessor> logger) : IJobProcessor
{
    private readonly JobRunner _runner = new(engine, imageLimits);

    public async Task<JobOutcome> ProcessAsync(string messageText, CancellationToken ct = default)
    {
        if (TryParse(messageText) is not { } message)
        {
            return JobOutcome.ErrorWritten;
        }

        var manifestBlob = storage.Inbox.GetBlobClient(message.Manifest);
        byte[] manifestBytes;
        try
        {
            manifestBytes = (await manifestBlob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return await WriteErrorAsync(message, null, "not_found", $"{message.Manifest}: the manifest was deleted before its job ran", ct).ConfigureAwait(false);
        }

        if (ResultNames.Sha256(manifestBytes) != message.ManifestSha256)
        {
            LogSuperseded(logger, message.Manifest);
            return JobOutcome.Superseded;
        }

        var manifest = BoxManifest.Parse(manifestBytes, message.Manifest);
        var imageBlob = storage.Inbox.GetBlobClient(message.Image);
        BlobProperties props;
        try
        {
            props = (await imageBlob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            if (DateTimeOffset.UtcNow - message.AcceptedUtc < options.Value.ImageWait)
            {
                await storage.JobQueue.SendMessageAsync(messageText, visibilityTimeout: options.Value.ImagePollInterval, cancellationToken: ct).ConfigureAwait(false);
                LogWaiting(logger, message.Manifest, message.Image);
                return JobOutcome.WaitingForImage;
            }

            return await WriteErrorAsync(message, manifest.RequestId, "not_found",
                $"{message.Image}: the image did not arrive within {options.Value.ImageWait} of its manifest", ct).ConfigureAwait(false);
        }

        if (props.ContentLength > imageLimits.MaxBytes)
        {
            return await WriteErrorAsync(message, manifest.RequestId, "invalid_image",
                $"{message.Image}: {props.ContentLength} bytes; the limit is {imageLimits.MaxBytes}", ct).ConfigureAwait(false);
        }

        var imageBytes = (await imageBlob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToMemory();
        var resultName = ResultNames.Result(message.Manifest, message.ManifestSha256, ResultNames.Sha256(imageBytes.Span), engine.ModelId);
        var resultBlob = storage.Results.GetBlobClient(resultName);
        if ((await resultBlob.ExistsAsync(ct).ConfigureAwait(false)).Value)
        {
            LogDuplicate(logger, message.Manifest, resultName);
            return JobOutcome.AlreadyDone;
        }

        JobResult result;
        try
        {
            result = await Task.Run(() => _runner.Run(manifest, imageBytes, message.Image, cancellationToken: ct), ct).ConfigureAwait(false);
        }
        catch (ImageInputException ex)
        {
            return await WriteErrorAsync(message, manifest.RequestId, "invalid_image", ex.Message, ct).ConfigureAwait(false);
        }

        if (!await ErrorBlobs.TryCreateJsonAsync(storage.Results, resultName, result, ct).ConfigureAwait(false))
        {
            LogDuplicate(logger, message.Manifest, resultName);
            return JobOutcome.AlreadyDone;
        }

        LogWritten(logger, message.Manifest, resultName, result.Usage.GeneratedTokens, result.TimingsMs["total"]);
        return JobOutcome.ResultWritten;
    }

    /// <summary>What the poison-queue function does: the job failed every try; say so where its result would be.</summary>
    public async Task<JobOutcome> ProcessPoisonAsync(string messageText, CancellationToken ct = default)
    {
        if (TryParse(messageText) is not { } message)
        {
            return JobOutcome.ErrorWritten;
        }

        return await WriteErrorAsync(message, null, "failed_after_retries",
            $"{message.Manifest}: processing failed on every try (host.json maxDequeueCount); the function logs hold each failure", ct).ConfigureAwait(false);
    }

    /// <summary>The job message, or null (logged) when it is not one: there is nothing to write an error next to,
    /// and a retry cannot help.</summary>
    private JobMessage? TryParse(string messageText)
    {
        try
        {
            return JobMessage.Parse(messageText);
        }
        catch (JsonException ex)
        {
            LogBadMessage(logger, ex.Message);
            return null;
        }
    }

    private async Task<JobOutcome> WriteErrorAsync(JobMessage message, string? requestId, string code, string text, CancellationToken ct)
    {
        var written = await ErrorBlobs.TryCreateJsonAsync(storage.Results, ResultNames.Error(message.Manifest),
            ErrorBlobs.Error(message.Manifest, requestId, code, text), ct).ConfigureAwait(false);
        LogError(logger, message.Manifest, code, text);
        return written ? JobOutcome.ErrorWritten : JobOutcome.AlreadyDone;
    }

    [LoggerMessage(1, LogLevel.Error, "Job message is not valid: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Information, "Job {Manifest}: manifest changed since it was queued; skipped")]
    private static partial void LogSuperseded(ILogger logger, string manifest);

    [LoggerMessage(3, LogLevel.Information, "Job {Manifest}: waiting for image {Image}")]
    private static partial void LogWaiting(ILogger logger, string manifest, string image);

    [LoggerMessage(4, LogLevel.Information, "Job {Manifest}: result {Result} already written; nothing to do")]
    private static partial void LogDuplicate(ILogger logger, string manifest, string result);

    [LoggerMessage(5, LogLevel.Information, "Job {Manifest}: wrote {Result} ({Tokens} tokens, {Ms} ms)")]
    private static partial void LogWritten(ILogger logger, string manifest, string result, int tokens, double ms);

    [LoggerMessage(6, LogLevel.Warning, "Job {Manifest}: {Code}: {Reason}")]
    private static partial void LogError(ILogger logger, string manifest, string code, string reason);
}
