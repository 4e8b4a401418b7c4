using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>
/// Holds the first upload into the results container (a job's result, after all its inference) until
/// <see cref="Release"/>: a fault can then be injected at a known point in the middle of a job, between its reads and
/// its one write, whatever the speed of the machine.
/// </summary>
internal sealed class ResultWriteGate : HttpPipelinePolicy
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed = 1;

    /// <summary>Completes when the first result upload is held.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the held upload (and every later one) go on.</summary>
    public void Release() => _release.TrySetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (message.Request.Method == RequestMethod.Put
            && message.Request.Uri.Path.Contains($"/{StorageNames.Results}/", StringComparison.Ordinal)
            && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _reached.TrySetResult();
            await _release.Task;
        }

        await ProcessNextAsync(message, pipeline);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("the app writes results asynchronously");

    /// <summary>Registers storage clients for <paramref name="connectionString"/> whose blob uploads pass this gate.</summary>
    public void Install(IServiceCollection services, string connectionString)
    {
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(this, HttpPipelinePosition.PerCall);
        services.AddSingleton(new StorageClients(new BlobServiceClient(connectionString, blobOptions),
            new QueueServiceClient(connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })));
    }
}
