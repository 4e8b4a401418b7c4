using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Jobs;

/// <summary>What the blob trigger does with a new inbox blob: validate a manifest and queue its job. It runs no
/// inference, and it deletes nothing.</summary>
public sealed class ManifestIntake(StorageClients storage, IOptions<FunctionsOptions> options, ILogger<ManifestIntake> logger) : IManifestIntake
{
    /// <inheritdoc />
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
                throw new Gpt4RoIException(ErrorCode.LimitExceeded, $"{name}: {content.Length} bytes; the limit is {options.Value.MaxManifestBytes}");
            }

            manifest = BoxManifest.Parse(content.Span, name);
        }
        catch (Gpt4RoIException ex)
        {
            await ResultBlobs.TryCreateJsonAsync(storage.Results, ResultNames.Error(name),
                ResultBlobs.Error(name, null, ex.Code, ex.Message), ct).ConfigureAwait(false);
            Logs.ManifestRejected(logger, name, ex.Message);
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
        Logs.ManifestAccepted(logger, name, message.Image, manifest.Tasks.Count);
        return IntakeOutcome.Enqueued;
    }
}
