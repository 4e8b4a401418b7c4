using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace GPT4RoI.Functions.Services;

/// <summary>Container and queue names: constants, because the trigger attributes need them at build time.</summary>
public static class StorageNames
{
    public const string Inbox = "inbox";
    public const string Results = "results";
    public const string Sessions = "sessions";
    public const string JobQueue = "gpt4roi-jobs";
    /// <summary>Where the host moves a job after host.json's maxDequeueCount failed tries.</summary>
    public const string JobPoisonQueue = JobQueue + "-poison";
    public const string Connection = "AzureWebJobsStorage";
}

/// <summary>The storage clients of the configured account (queue messages base64, as the Functions host reads them).</summary>
public sealed class StorageClients(BlobServiceClient blobs, QueueServiceClient queues)
{
    public BlobServiceClient Blobs { get; } = blobs;
    public QueueServiceClient Queues { get; } = queues;
    public BlobContainerClient Inbox => Blobs.GetBlobContainerClient(StorageNames.Inbox);
    public BlobContainerClient Results => Blobs.GetBlobContainerClient(StorageNames.Results);
    public BlobContainerClient Sessions => Blobs.GetBlobContainerClient(StorageNames.Sessions);
    public QueueClient JobQueue => Queues.GetQueueClient(StorageNames.JobQueue);

    /// <summary>Creates the containers and the queue when they are missing (local runs; infra creates them in Azure).</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        await Inbox.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await Results.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await Sessions.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await JobQueue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
    }
}
