using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace GPT4RoI.Functions.Storage;

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
