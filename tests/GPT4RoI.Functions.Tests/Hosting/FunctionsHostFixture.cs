namespace GPT4RoI.Functions.Tests.Hosting;

/// <summary>One Azurite and one in-process app (<see cref="FunctionsTestHost"/>) shared by a collection's tests.</summary>
public sealed class FunctionsHostFixture : IAsyncLifetime
{
    public AzuriteFixture Storage { get; } = new();

    public FunctionsTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Storage.InitializeAsync();
        Host = await FunctionsTestHost.StartAsync(Storage, new()
        {
            // Turns wait long enough for the tiny model on a loaded machine; the page polls on 202 anyway.
            ["Gpt4RoI:SessionTurnWait"] = "00:01:00",
            ["Gpt4RoI:SessionPollInterval"] = "00:00:00.050",
        });
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Storage.DisposeAsync();
    }
}

[CollectionDefinition("app")]
public sealed class AppGroup : ICollectionFixture<FunctionsHostFixture>;
