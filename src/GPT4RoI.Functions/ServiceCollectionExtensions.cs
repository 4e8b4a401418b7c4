using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Functions.Services;
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
        services.AddSingleton(sp =>
        {
            var connection = configuration[StorageNames.Connection] ?? configuration.GetConnectionString(StorageNames.Connection)
                ?? throw new InvalidOperationException($"storage connection setting '{StorageNames.Connection}' is not set");
            return new StorageClients(new BlobServiceClient(connection),
                new QueueServiceClient(connection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value;
            return new Gpt4RoIEngine(new EngineOptions
            {
                ModelPath = ResolveModelPath(o.ModelPath)!,
                Variant = o.ModelVariant,
                ForceCpu = o.ForceCpu,
                MaxConcurrency = o.MaxConcurrency,
            }, sp.GetRequiredService<ILogger<Gpt4RoIEngine>>());
        });
        services.AddSingleton(sp => ImageLimits.Default with { MaxBytes = sp.GetRequiredService<IOptions<FunctionsOptions>>().Value.MaxImageBytes });
        services.AddSingleton<IManifestIntake, ManifestIntake>();
        services.AddSingleton<IJobProcessor, JobProcessor>();
        services.AddSingleton<IQueryService, QueryService>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<ISessionService, SessionService>();
        return services;
    }

    internal static string? ResolveModelPath(string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
}
