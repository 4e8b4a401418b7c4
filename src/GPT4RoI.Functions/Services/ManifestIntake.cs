using GPT4RoI.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Services;

public enum IntakeOutcome
{
    /// <summary>Valid: a job message was queued.</summary>
    Enqueued,
    /// <summary>Invalid: an error JSON was written where its results would go.</summary>
    Rejected,
    /// <summary>Not a manifest (images land in the same container).</summary>
    Ignored,
}

/// <summary>What the blob trigger does with a new inbox blob: validate a manifest and queue its job. It runs no
/// inference, and it deletes nothing.</summary>
public sealed partial class ManifestIntake(StorageClients storage, IOptions<FunctionsOptions> options, ILogger<ManifestIntake> logger) : IManifestIntake
{
    public async Task<IntakeOutcome> AcceptAsync(string name, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return IntakeOutcome.Ignored;
        }

        BoxManifest manifest;
        try
        {
            if (content.Length > options.Value.MaxManifestBytes)
            {
                throw new ManifestException($"{name}: {content.Length} bytes; the limit is {options.Value.MaxManifestBytes}");
            }

            manifest = BoxManifest.Parse(content.Span, name);
        }
        catch (ManifestException ex)
        {
            await ErrorBlobs.TryCreateJsonAsync(storage.Results, ResultNames.Error(name),
                ErrorBlobs.Error(name, null, "invalid_manifest", ex.Message), ct).ConfigureAwait(false);
            LogRejected(logger, name, ex.Message);
            return IntakeOutcome.Rejected;
        }

        var message = new JobMessage
        {
            Manifest = name,
            ManifestSha256 = ResultNames.Sha256(content.Span),
            Image = ResultNames.ImageBlob(name, manifest.Image),
            AcceptedUtc = DateTimeOffset.UtcNow,
        };
        await storage.JobQueue.SendMessageAsync(message.ToJson(), ct).ConfigureAwait(false);
        LogEnqueued(logger, name, message.Image, manifest.Tasks.Count);
        return IntakeOutcome.Enqueued;
    }

    [LoggerMessage(1, LogLevel.Warning, "Manifest {Manifest} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string manifest, string reason);

    [LoggerMessage(2, LogLevel.Information, "Manifest {Manifest} accepted: job queued for image {Image}, {Tasks} task(s)")]
    private static partial void LogEnqueued(ILogger logger, string manifest, string image, int tasks);
}
