using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace GPT4RoI.Functions.Functions;

/// <summary>Blob drops and queue jobs: thin over <see cref="ManifestIntake"/> and <see cref="JobProcessor"/>.</summary>
public sealed class InboxFunctions(IManifestIntake intake, IJobProcessor jobs)
{
    [Function("ManifestDropped")]
    public Task<IntakeOutcome> ManifestDroppedAsync(
        [BlobTrigger(StorageNames.Inbox + "/{name}", Connection = StorageNames.Connection)] byte[] content,
        string name, CancellationToken cancellationToken) =>
        intake.AcceptAsync(name, content, cancellationToken);

    [Function("ProcessJob")]
    public Task<JobOutcome> ProcessJobAsync(
        [QueueTrigger(StorageNames.JobQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        jobs.ProcessAsync(message, cancellationToken);

    [Function("JobPoisoned")]
    public Task<JobOutcome> JobPoisonedAsync(
        [QueueTrigger(StorageNames.JobPoisonQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        jobs.ProcessPoisonAsync(message, cancellationToken);
}
