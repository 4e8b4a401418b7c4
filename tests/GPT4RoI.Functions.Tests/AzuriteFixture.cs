using System.Diagnostics;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GPT4RoI.Core.Inference;
using GPT4RoI.Functions.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Tests;

/// <summary>
/// A real Azurite (npm package, in memory, on its own ports) and the app's services wired as the host wires them.
/// Azurite is found at $AZURITE_PATH, then .tools/azurite/node_modules/.bin/azurite (what scripts/test-all.sh
/// installs), then on PATH.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private const int BlobPort = 10110, QueuePort = 10111, TablePort = 10112;
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private Process? _azurite;

    public static string RepoRoot { get; } = FindRepoRoot();
    public string ConnectionString { get; } =
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";
    public ServiceProvider Services { get; private set; } = null!;
    public StorageClients Storage => Services.GetRequiredService<StorageClients>();

    public async Task InitializeAsync()
    {
        if (!PortOpen(BlobPort))
        {
            var exe = FindAzurite() ?? throw new InvalidOperationException(
                "Azurite not found: run 'bash scripts/test-all.sh' (it installs it into .tools/azurite) or set AZURITE_PATH");
            var psi = new ProcessStartInfo(exe,
                $"--silent --inMemoryPersistence --skipApiVersionCheck --blobHost 127.0.0.1 --blobPort {BlobPort} " +
                $"--queueHost 127.0.0.1 --queuePort {QueuePort} --tableHost 127.0.0.1 --tablePort {TablePort}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            _azurite = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!PortOpen(BlobPort) || !PortOpen(QueuePort))
            {
                if (_azurite.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"Azurite did not start: {await _azurite.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
                }

                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        Services = BuildServices(new Dictionary<string, string?>());
        await Storage.EnsureCreatedAsync().ConfigureAwait(false);
        await Storage.Queues.GetQueueClient(StorageNames.JobPoisonQueue).CreateIfNotExistsAsync().ConfigureAwait(false);
    }

    /// <summary>The app's service collection, as Program.cs builds it, with test settings on top.</summary>
    public ServiceProvider BuildServices(Dictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = ConnectionString,
            ["Gpt4RoI:ModelPath"] = Path.Combine(RepoRoot, "models", "tiny"),
            ["Gpt4RoI:MaxConcurrency"] = "2",
        };
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddGpt4RoIFunctions(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public async Task DisposeAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync().ConfigureAwait(false);
        }

        if (_azurite is { HasExited: false })
        {
            _azurite.Kill(entireProcessTree: true);
            await _azurite.WaitForExitAsync().ConfigureAwait(false);
        }

        _azurite?.Dispose();
    }

    private static bool PortOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindAzurite()
    {
        var env = Environment.GetEnvironmentVariable("AZURITE_PATH");
        if (!string.IsNullOrEmpty(env) && File.Exists(env))
        {
            return env;
        }

        var local = Path.Combine(RepoRoot, ".tools", "azurite", "node_modules", ".bin", "azurite");
        if (File.Exists(local))
        {
            return local;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GPT4RoI.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GPT4RoI.Functions.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition("azurite")]
public sealed class AzuriteGroup : ICollectionFixture<AzuriteFixture>;
