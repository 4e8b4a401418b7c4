using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace GPT4RoI.Functions.Tests;

/// <summary>How the app picks its storage clients from the AzureWebJobsStorage settings (no network needed:
/// building a client does not call the service).</summary>
public sealed class StorageConnectionTests
{
    private static IConfiguration Config(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    [Fact]
    public void IdentityBased_AccountName_BuildsClientsForTheAccountEndpoints()
    {
        var config = Config(new()
        {
            ["AzureWebJobsStorage:accountName"] = "gpt4roistore",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        });

        var clients = ServiceCollectionExtensions.CreateStorageClients(config);

        Assert.Equal(new Uri("https://gpt4roistore.blob.core.windows.net/"), clients.Blobs.Uri);
        Assert.Equal("gpt4roistore", clients.Blobs.AccountName);
        Assert.Equal(new Uri("https://gpt4roistore.queue.core.windows.net/"), clients.Queues.Uri);
        Assert.Equal("gpt4roistore", clients.Queues.AccountName);
        Assert.Equal(new Uri("https://gpt4roistore.blob.core.windows.net/inbox"), clients.Inbox.Uri);
        Assert.Equal(new Uri("https://gpt4roistore.queue.core.windows.net/gpt4roi-jobs"), clients.JobQueue.Uri);
        // A token credential, not a shared key: the clients cannot make SAS URIs.
        Assert.False(clients.Blobs.CanGenerateAccountSasUri);
        Assert.IsType<ManagedIdentityCredential>(ServiceCollectionExtensions.CreateCredential(config.GetSection("AzureWebJobsStorage")));
    }

    [Fact]
    public void IdentityBased_ServiceUris_WinOverTheAccountName()
    {
        var config = Config(new()
        {
            ["AzureWebJobsStorage:accountName"] = "ignored",
            ["AzureWebJobsStorage:blobServiceUri"] = "https://custom.blob.example.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://custom.queue.example.net",
        });

        var clients = ServiceCollectionExtensions.CreateStorageClients(config);

        Assert.Equal("custom.blob.example.net", clients.Blobs.Uri.Host);
        Assert.Equal("custom.queue.example.net", clients.Queues.Uri.Host);
        Assert.IsType<DefaultAzureCredential>(ServiceCollectionExtensions.CreateCredential(config.GetSection("AzureWebJobsStorage")));
    }

    [Fact]
    public void ConnectionString_WinsOverIdentitySettings()
    {
        var fx = new AzuriteFixture();
        var config = Config(new()
        {
            ["AzureWebJobsStorage"] = fx.ConnectionString,
            ["AzureWebJobsStorage:accountName"] = "gpt4roistore",
        });

        var clients = ServiceCollectionExtensions.CreateStorageClients(config);

        Assert.Equal("devstoreaccount1", clients.Blobs.AccountName);
        Assert.True(clients.Blobs.CanGenerateAccountSasUri);
    }

    [Fact]
    public void NoConnection_FailsNamingBothForms()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ServiceCollectionExtensions.CreateStorageClients(Config(new())));
        Assert.Contains("AzureWebJobsStorage__accountName", ex.Message, StringComparison.Ordinal);
    }
}
