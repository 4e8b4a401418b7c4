using System.Diagnostics;
using System.Net.Sockets;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Tests;

/// <summary>
/// A real Azurite (npm package) of this fixture's own, on free ports and with its data in a temporary folder, and the
/// app's services wired as the host wires them. Concurrent test runs never share an emulator, and
/// <see cref="StopStorageAsync"/> / <see cref="StartStorageAsync"/> restart it with its data kept (for fault tests).
/// Azurite is found at $AZURITE_PATH, then .tools/azurite/node_modules/.bin/azurite (what scripts/test-all.sh
/// installs), then on PATH.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly int _blobPort = FreePort(), _queuePort = FreePort(), _tablePort = FreePort();
    private readonly string _data = Directory.CreateTempSubdirectory("gpt4roi-azurite-").FullName;
    private Process? _azurite;

    public AzuriteFixture()
    {
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{_blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{_tablePort}/devstoreaccount1;";
    }

    public string ConnectionString { get; }
    public ServiceProvider Services { get; private set; } = null!;
    public StorageClients Storage => Services.GetRequiredService<StorageClients>();

    public async Task InitializeAsync()
    {
        await StartStorageAsync().ConfigureAwait(false);
        Services = BuildServices(new Dictionary<string, string?>());
        await Storage.EnsureCreatedAsync().ConfigureAwait(false);
        await Storage.Queues.GetQueueClient(StorageNames.JobPoisonQueue).CreateIfNotExistsAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the emulator (its data folder keeps what was stored before a stop).</summary>
    public async Task StartStorageAsync()
    {
        var exe = FindAzurite() ?? throw new InvalidOperationException(
            "Azurite not found: run 'bash scripts/test-all.sh' (it installs it into .tools/azurite) or set AZURITE_PATH");
        var psi = new ProcessStartInfo(exe,
            $"--silent --skipApiVersionCheck --location {_data} --blobHost 127.0.0.1 --blobPort {_blobPort} " +
            $"--queueHost 127.0.0.1 --queuePort {_queuePort} --tableHost 127.0.0.1 --tablePort {_tablePort}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _azurite = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!PortOpen(_blobPort) || !PortOpen(_queuePort))
        {
            if (_azurite.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Azurite did not start: {await _azurite.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the emulator: storage calls fail until <see cref="StartStorageAsync"/>. It is asked to stop as a
    /// service is (SIGTERM), so it saves what it holds (Azurite otherwise saves only every 5 s), and killed if it does not
    /// exit within 15 s.</summary>
    public async Task StopStorageAsync()
    {
        if (_azurite is { HasExited: false })
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", $"-TERM {_azurite.Id}") { UseShellExecute = false }))
            {
                await term!.WaitForExitAsync().ConfigureAwait(false);
            }

            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _azurite.WaitForExitAsync(patience.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _azurite.Kill(entireProcessTree: true);
                await _azurite.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _azurite?.Dispose();
        _azurite = null;
    }

    /// <summary>The app's service collection, as Program.cs builds it, with test settings on top.</summary>
    public ServiceProvider BuildServices(Dictionary<string, string?> settings) => BuildServices(ConnectionString, settings);

    /// <summary>The app's service collection for the storage at <paramref name="connectionString"/> (also used by a
    /// worker process the tests start); <paramref name="configure"/> may replace registrations.</summary>
    public static ServiceProvider BuildServices(string connectionString, Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var all = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["Gpt4RoI:ModelPath"] = TinyModel.Path,
            ["Gpt4RoI:DetectorPath"] = TinyDetector.Path,
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
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public async Task DisposeAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync().ConfigureAwait(false);
        }

        await StopStorageAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
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

        var local = Path.Combine(RepoPaths.Root, ".tools", "azurite", "node_modules", ".bin", "azurite");
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
}

[CollectionDefinition("azurite")]
public sealed class AzuriteGroup : ICollectionFixture<AzuriteFixture>;
