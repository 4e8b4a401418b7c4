using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Jobs;

/// <summary>
/// Runs one queued job. Idempotent: the result name derives from the manifest bytes, the image bytes and the
/// model id, and blobs are written only if absent, so a message delivered twice writes once. A blob already at the
/// result's name is trusted only when intact (its bytes match the content hash written with it) or when it says the
/// same as this run; anything else is a result conflict, reported and never overwritten. Input errors are
/// written as error JSON and not retried; anything else is thrown so the host retries it (host.json
/// maxDequeueCount) and finally moves it to the poison queue. Inputs are never deleted.
/// </summary>
public sealed class JobProcessor(StorageClients storage, Gpt4RoIEngine engine, JobRunner runner, ImageLimits imageLimits,
    IOptions<FunctionsOptions> options, ILogger<JobProcessor> logger) : IJobProcessor
{

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
            return await WriteErrorAsync(message, null, ErrorCode.NotFound, $"{message.Manifest}: the manifest was deleted before its job ran", ct).ConfigureAwait(false);
        }

        if (ResultNames.Sha256(manifestBytes) != message.ManifestSha256)
        {
            Logs.JobSuperseded(logger, message.Manifest);
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
                Logs.JobWaitingForImage(logger, message.Manifest, message.Image);
                return JobOutcome.WaitingForImage;
            }

            return await WriteErrorAsync(message, manifest.RequestId, ErrorCode.NotFound,
                $"{message.Image}: the image did not arrive within {options.Value.ImageWait} of its manifest", ct).ConfigureAwait(false);
        }

        if (props.ContentLength > imageLimits.MaxBytes)
        {
            return await WriteErrorAsync(message, manifest.RequestId, ErrorCode.LimitExceeded,
                $"{message.Image}: {props.ContentLength} bytes; the limit is {imageLimits.MaxBytes}", ct).ConfigureAwait(false);
        }

        var imageBytes = (await imageBlob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToMemory();
        var resultName = ResultNames.Result(message.Manifest, message.ManifestSha256, ResultNames.Sha256(imageBytes.Span), engine.ModelId);
        var stored = await ResultBlobs.ReadAsync(storage.Results, resultName, ct).ConfigureAwait(false);
        if (stored is { IsIntact: true })
        {
            Logs.JobAlreadyDone(logger, message.Manifest, resultName);
            return JobOutcome.AlreadyDone;
        }

        // Nothing there, or something this app did not write as it stands: run the job to know what belongs there.
        JobResult result;
        try
        {
            result = await Task.Run(() => runner.Run(manifest, imageBytes, message.Image, cancellationToken: ct), ct).ConfigureAwait(false);
        }
        catch (Gpt4RoIException ex) when (ex is ImageInputException || ex.Code is not (ErrorCode.ModelError or ErrorCode.DetectorError or ErrorCode.Internal or ErrorCode.Busy))
        {
            // The image, or a detect manifest's question, was refused: retrying cannot help.
            return await WriteErrorAsync(message, manifest.RequestId, ex.Code, ex.Message, ct).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            if (stored is null)
            {
                if (await ResultBlobs.TryCreateJsonAsync(storage.Results, resultName, result, ct).ConfigureAwait(false))
                {
                    Logs.JobResultWritten(logger, message.Manifest, resultName, result.Usage.GeneratedTokens, result.TimingsMs["total"]);
                    return JobOutcome.ResultWritten;
                }

                // Another delivery wrote first (or something else did): look at what is there.
                stored = await ResultBlobs.ReadAsync(storage.Results, resultName, ct).ConfigureAwait(false);
                if (stored is null && attempt < 3)
                {
                    continue;
                }

                if (stored is null)
                {
                    throw new InvalidOperationException($"{resultName} exists and vanishes in turn; retrying the job");
                }
            }

            return await SettleExistingAsync(message, manifest.RequestId, resultName, stored, result, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A result blob is already where this job's result goes. Intact (its bytes match the hash the app recorded)
    /// or saying the same as this run: the job is done. Otherwise it was tampered with or cut short: it is kept as it is,
    /// never overwritten, and the conflict is logged and written as the manifest's error JSON.</summary>
    private async Task<JobOutcome> SettleExistingAsync(JobMessage message, string? requestId, string resultName, StoredResult stored,
        JobResult result, CancellationToken ct)
    {
        if (stored.IsIntact)
        {
            Logs.JobAlreadyDone(logger, message.Manifest, resultName);
            return JobOutcome.AlreadyDone;
        }

        if (ResultContent.Difference(stored.Content, result) is not { } difference)
        {
            Logs.JobResultMatched(logger, message.Manifest, resultName);
            return JobOutcome.AlreadyDone;
        }

        var hash = stored.ContentHash is null ? "it carries no content hash" : "its bytes do not match the content hash written with it";
        var reason = $"{resultName} already exists with other content: {difference}, and {hash}. It was left as it is; " +
            "find out who changed it, then delete it and upload the manifest again to redo the job";
        Logs.JobResultConflict(logger, message.Manifest, resultName, reason);
        await ResultBlobs.TryCreateJsonAsync(storage.Results, ResultNames.Error(message.Manifest),
            ResultBlobs.Error(message.Manifest, requestId, ErrorCode.ResultConflict, reason), ct).ConfigureAwait(false);
        return JobOutcome.ResultConflict;
    }

    /// <summary>What the poison-queue function does: the job failed every try; say so where its result would be.</summary>
    public async Task<JobOutcome> ProcessPoisonAsync(string messageText, CancellationToken ct = default)
    {
        if (TryParse(messageText) is not { } message)
        {
            return JobOutcome.ErrorWritten;
        }

        return await WriteErrorAsync(message, null, ErrorCode.FailedAfterRetries,
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
            Logs.JobMessageInvalid(logger, ex.Message);
            return null;
        }
    }

    private async Task<JobOutcome> WriteErrorAsync(JobMessage message, string? requestId, ErrorCode code, string text, CancellationToken ct)
    {
        var written = await ResultBlobs.TryCreateJsonAsync(storage.Results, ResultNames.Error(message.Manifest),
            ResultBlobs.Error(message.Manifest, requestId, code, text), ct).ConfigureAwait(false);
        Logs.JobErrorWritten(logger, message.Manifest, ErrorCodeJsonConverter.WireName(code), text);
        return written ? JobOutcome.ErrorWritten : JobOutcome.AlreadyDone;
    }
}
