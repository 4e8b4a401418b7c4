using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions;

public static class ServiceCollectionExtensions
{
    /// <summary>Options (validated on start), storage clients, the engine and the services the functions use.</summary>
    public static IServiceCollection AddGpt4RoIFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FunctionsOptions>()
            .Bind(configuration.GetSection(FunctionsOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => ResolveModelPath(o.ModelPath) is { } p && File.Exists(Path.Combine(p, "manifest.json")),
                "Gpt4RoI:ModelPath must be a model folder with a manifest.json")
            .ValidateOnStart();
        services.AddSingleton(_ => CreateStorageClients(configuration));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value;
            return new Gpt4RoIEngine(new EngineOptions
            {
                ModelPath = ResolveModelPath(o.ModelPath)!,
                Variant = o.ModelVariant,
                ForceCpu = o.ForceCpu,
                MaxConcurrency = o.MaxConcurrency,
                MaxBatch = o.MaxBatch,
            }, sp.GetRequiredService<ILogger<Gpt4RoIEngine>>());
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value;
            return ImageLimits.Default with { MaxBytes = o.MaxImageBytes, AllowLosslessWebp = o.AllowLosslessWebp };
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value;
            return new QueryAdmission(o.QueriesAdmitted(sp.GetRequiredService<Gpt4RoIEngine>().BatchCapacity), o.QueryQueueWait, o.QueryRetryAfter);
        });
        services.AddSingleton<QueryService>();
        services.AddSingleton(sp => new HealthService(sp.GetRequiredService<Gpt4RoIEngine>(),
            ResolveModelPath(sp.GetRequiredService<IOptions<FunctionsOptions>>().Value.DetectorPath) ?? DetectorFolder.DefaultRelativePath));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value;
            return new Detector(new DetectorOptions
            {
                Path = ResolveModelPath(o.DetectorPath) ?? DetectorFolder.DefaultRelativePath,
                ForceCpu = o.ForceCpu,
            }, sp.GetRequiredService<ILogger<Detector>>());
        });
        services.AddSingleton<DescribeService>();
        // The detector is loaded on first use: a missing detector folder fails only the requests that need it.
        services.AddSingleton(sp => new Lazy<DescribeService>(sp.GetRequiredService<DescribeService>));
        services.AddSingleton(sp => new JobRunner(sp.GetRequiredService<Gpt4RoIEngine>(), sp.GetRequiredService<ImageLimits>(),
            sp.GetRequiredService<DescribeService>));
        services.AddSingleton<ConversationService>();
        services.AddSingleton<HttpRequestReader>();
        services.AddSingleton<SseWriter>();
        services.AddSingleton<InboxImages>();
        services.AddSingleton<IManifestIntake, ManifestIntake>();
        services.AddSingleton<IJobProcessor, JobProcessor>();
        services.AddSingleton<TurnStreams>();
        services.AddSingleton<TurnStops>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<ISessionService, SessionService>();
        return services;
    }

    /// <summary>
    /// The storage clients for the <c>AzureWebJobsStorage</c> connection, read the way the Functions host reads it:
    /// a connection string (<c>AzureWebJobsStorage</c>, e.g. Azurite locally) wins; otherwise an identity-based
    /// connection (<c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c>/<c>__queueServiceUri</c>, with
    /// <c>__credential=managedidentity</c> and <c>__clientId</c> for a user-assigned identity, as infra/ sets them).
    /// </summary>
    internal static StorageClients CreateStorageClients(IConfiguration configuration)
    {
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var connection = configuration[StorageNames.Connection] ?? configuration.GetConnectionString(StorageNames.Connection);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            return new StorageClients(new BlobServiceClient(connection), new QueueServiceClient(connection, queueOptions));
        }

        var section = configuration.GetSection(StorageNames.Connection);
        var account = section["accountName"];
        var blobUri = section["blobServiceUri"] ?? (string.IsNullOrWhiteSpace(account) ? null : $"https://{account}.blob.core.windows.net");
        var queueUri = section["queueServiceUri"] ?? (string.IsNullOrWhiteSpace(account) ? null : $"https://{account}.queue.core.windows.net");
        if (string.IsNullOrWhiteSpace(blobUri) || string.IsNullOrWhiteSpace(queueUri))
        {
            throw new InvalidOperationException(
                $"storage connection is not set: give '{StorageNames.Connection}' (a connection string) or " +
                $"'{StorageNames.Connection}__accountName' (identity-based, with __credential and __clientId)");
        }

        var credential = CreateCredential(section);
        return new StorageClients(new BlobServiceClient(new Uri(blobUri), credential),
            new QueueServiceClient(new Uri(queueUri), credential, queueOptions));
    }

    /// <summary><c>__credential=managedidentity</c>: that managed identity (user-assigned when <c>__clientId</c> is
    /// set, else system-assigned); otherwise <see cref="DefaultAzureCredential"/> (developer sign-in locally).</summary>
    internal static TokenCredential CreateCredential(IConfiguration section)
    {
        var clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrWhiteSpace(clientId) ? null : clientId,
        });
    }

    internal static string? ResolveModelPath(string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
}
