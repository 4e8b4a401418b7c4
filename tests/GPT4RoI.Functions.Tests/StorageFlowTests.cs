using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests;

/// <summary>Blob drop → queue job → result, against a real Azurite, with the functions invoked as the host would.</summary>
[Collection("azurite")]
public sealed class StorageFlowTests(AzuriteFixture fx)
{
    private InboxFunctions Functions(IServiceProvider? sp = null)
    {
        sp ??= fx.Services;
        return new InboxFunctions(sp.GetRequiredService<IManifestIntake>(), sp.GetRequiredService<IJobProcessor>());
    }

    private static byte[] SampleImage => File.ReadAllBytes(RepoPaths.SampleImage);

    private static byte[] Manifest(string image, string requestId) => Encoding.UTF8.GetBytes($$"""
        { "image": "{{image}}", "request_id": "{{requestId}}",
          "tasks": [ { "id": "a", "question": "What is <region1>?", "regions": [[95, 70, 215, 190]] },
                     { "id": "b", "turns": [ { "question": "What color is <region1>?", "regions": [[232, 12, 348, 128]] },
                                             { "question": "Where is <region2> relative to <region1>?", "regions": [[396, 130, 476, 212]] } ] } ] }
        """);

    private async Task<string> DropAsync(string folder, bool withImage = true, byte[]? manifest = null)
    {
        var inbox = fx.Storage.Inbox;
        if (withImage)
        {
            await inbox.UploadBlobAsync($"{folder}/shapes.png", new BinaryData(SampleImage));
        }

        var name = $"{folder}/request.json";
        await inbox.UploadBlobAsync(name, new BinaryData(manifest ?? Manifest("shapes.png", folder)));
        return name;
    }

    /// <summary>The job message the intake queued for this manifest (others stay in the queue).</summary>
    private async Task<string> TakeMessageAsync(string manifest)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var batch = (await fx.Storage.JobQueue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1))).Value;
            foreach (var m in batch)
            {
                var text = m.Body.ToString();
                if (JobMessage.Parse(text).Manifest == manifest)
                {
                    await fx.Storage.JobQueue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                    return text;
                }
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"no job message for {manifest}");
    }

    private async Task<List<BlobItem>> ResultsUnderAsync(string folder)
    {
        var list = new List<BlobItem>();
        await foreach (var b in fx.Storage.Results.GetBlobsAsync(BlobTraits.None, BlobStates.None, folder + "/", default))
        {
            list.Add(b);
        }

        return list;
    }

    [Fact]
    public async Task DropThenJob_ValidManifest_WritesResultJson()
    {
        var f = Functions();
        var name = await DropAsync("flow-ok");
        Assert.Equal(IntakeOutcome.Enqueued, await f.ManifestDroppedAsync(await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync().ContinueWith(t => t.Result.Value.Content.ToArray()), name, default));
        var message = await TakeMessageAsync(name);
        Assert.DoesNotContain("base64", message, StringComparison.Ordinal);
        Assert.Equal(JobOutcome.ResultWritten, await f.ProcessJobAsync(message, default));
        await SaveDocExampleAsync("job-message.json", message);

        var results = await ResultsUnderAsync("flow-ok/request");
        var result = Assert.Single(results);
        Assert.EndsWith("-gpt4roi-tiny-shapes.result.json", result.Name, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse((await fx.Storage.Results.GetBlobClient(result.Name).DownloadContentAsync()).Value.Content.ToString());
        var tasks = doc.RootElement.GetProperty("tasks");
        Assert.Equal("a red circle", tasks[0].GetProperty("turns")[0].GetProperty("answer").GetString());
        Assert.Equal("green", tasks[1].GetProperty("turns")[0].GetProperty("answer").GetString());
        Assert.Equal("right of", tasks[1].GetProperty("turns")[1].GetProperty("answer").GetString());
        Assert.Equal("flow-ok", doc.RootElement.GetProperty("request_id").GetString());

        // Inputs are still there after success.
        Assert.True((await fx.Storage.Inbox.GetBlobClient(name).ExistsAsync()).Value);
        Assert.True((await fx.Storage.Inbox.GetBlobClient("flow-ok/shapes.png").ExistsAsync()).Value);
        await SaveDocExampleAsync("job-result.json", (await fx.Storage.Results.GetBlobClient(result.Name).DownloadContentAsync()).Value.Content.ToString());
        await SaveDocExampleAsync("job-result-name.txt", result.Name);
    }

    /// <summary>With GPT4ROI_DOC_EXAMPLES set, keeps what the test produced, for docs/api.md.</summary>
    private static async Task SaveDocExampleAsync(string file, string content)
    {
        var dir = Environment.GetEnvironmentVariable("GPT4ROI_DOC_EXAMPLES");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, file), content);
        }
    }

    [Fact]
    public async Task ProcessJob_SameMessageTwice_WritesOnce()
    {
        var f = Functions();
        var name = await DropAsync("flow-dup");
        await f.ManifestDroppedAsync((await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray(), name, default);
        var message = await TakeMessageAsync(name);
        Assert.Equal(JobOutcome.ResultWritten, await f.ProcessJobAsync(message, default));
        var first = Assert.Single(await ResultsUnderAsync("flow-dup/request"));
        Assert.Equal(JobOutcome.AlreadyDone, await f.ProcessJobAsync(message, default));
        var second = Assert.Single(await ResultsUnderAsync("flow-dup/request"));
        Assert.Equal(first.Properties.ETag, second.Properties.ETag);
        Assert.Equal(first.Properties.LastModified, second.Properties.LastModified);
    }

    [Fact]
    public async Task ProcessJob_ConcurrentDuplicates_OneWriteWins()
    {
        var f = Functions();
        var name = await DropAsync("flow-race");
        await f.ManifestDroppedAsync((await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray(), name, default);
        var message = await TakeMessageAsync(name);
        var outcomes = await Task.WhenAll(f.ProcessJobAsync(message, default), f.ProcessJobAsync(message, default));
        Assert.Single(outcomes, o => o == JobOutcome.ResultWritten);
        Assert.Single(outcomes, o => o == JobOutcome.AlreadyDone);
        Assert.Single(await ResultsUnderAsync("flow-race/request"));
    }

    [Fact]
    public async Task ManifestDropped_InvalidManifest_WritesErrorNextToResults()
    {
        var f = Functions();
        var bad = Encoding.UTF8.GetBytes("""{ "image": "shapes.png", "tasks": [] }""");
        var name = await DropAsync("flow-bad", manifest: bad);
        Assert.Equal(IntakeOutcome.Rejected, await f.ManifestDroppedAsync(bad, name, default));
        using var doc = JsonDocument.Parse((await fx.Storage.Results.GetBlobClient("flow-bad/request/error.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("invalid_manifest", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("tasks", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True((await fx.Storage.Inbox.GetBlobClient(name).ExistsAsync()).Value);
        await SaveDocExampleAsync("job-error.json", doc.RootElement.GetRawText());
    }

    [Fact]
    public async Task ManifestDropped_ImageBlob_IsIgnored()
    {
        Assert.Equal(IntakeOutcome.Ignored, await Functions().ManifestDroppedAsync(SampleImage, "x/shapes.png", default));
    }

    [Fact]
    public async Task ProcessJob_ImageNotYetThere_RequeuesThenSucceedsWhenItArrives()
    {
        var f = Functions();
        var name = await DropAsync("flow-wait", withImage: false);
        await f.ManifestDroppedAsync((await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray(), name, default);
        var message = await TakeMessageAsync(name);
        Assert.Equal(JobOutcome.WaitingForImage, await f.ProcessJobAsync(message, default));
        await fx.Storage.Inbox.UploadBlobAsync("flow-wait/shapes.png", new BinaryData(SampleImage));
        Assert.Equal(JobOutcome.ResultWritten, await f.ProcessJobAsync(message, default));
        Assert.Single(await ResultsUnderAsync("flow-wait/request"));
        // The re-queued copy (visible after the poll interval) finds the result and writes nothing.
        Assert.Equal(JobOutcome.AlreadyDone, await f.ProcessJobAsync(message, default));
    }

    [Fact]
    public async Task ProcessJob_ImageNeverArrives_WritesNotFoundError()
    {
        await using var sp = fx.BuildServices(new() { ["Gpt4RoI:ImageWait"] = "00:00:01", ["Gpt4RoI:ImagePollInterval"] = "00:00:01" });
        var f = Functions(sp);
        var name = await DropAsync("flow-noimage", withImage: false);
        await f.ManifestDroppedAsync((await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray(), name, default);
        var message = await TakeMessageAsync(name);
        await Task.Delay(1100);
        Assert.Equal(JobOutcome.ErrorWritten, await f.ProcessJobAsync(message, default));
        using var doc = JsonDocument.Parse((await fx.Storage.Results.GetBlobClient("flow-noimage/request/error.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("not_found", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True((await fx.Storage.Inbox.GetBlobClient(name).ExistsAsync()).Value);
    }

    [Fact]
    public async Task ProcessJob_CorruptImage_WritesErrorAndKeepsInputs()
    {
        var f = Functions();
        await fx.Storage.Inbox.UploadBlobAsync("flow-corrupt/shapes.png", new BinaryData(SampleImage[..200]));
        var name = "flow-corrupt/request.json";
        var manifest = Manifest("shapes.png", "c");
        await fx.Storage.Inbox.UploadBlobAsync(name, new BinaryData(manifest));
        await f.ManifestDroppedAsync(manifest, name, default);
        Assert.Equal(JobOutcome.ErrorWritten, await f.ProcessJobAsync(await TakeMessageAsync(name), default));
        using var doc = JsonDocument.Parse((await fx.Storage.Results.GetBlobClient("flow-corrupt/request/error.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("invalid_image", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True((await fx.Storage.Inbox.GetBlobClient("flow-corrupt/shapes.png").ExistsAsync()).Value);
    }

    [Fact]
    public async Task JobPoisoned_Message_WritesFailedAfterRetriesError()
    {
        var f = Functions();
        var name = await DropAsync("flow-poison");
        await f.ManifestDroppedAsync((await fx.Storage.Inbox.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray(), name, default);
        var message = await TakeMessageAsync(name);
        Assert.Equal(JobOutcome.ErrorWritten, await f.JobPoisonedAsync(message, default));
        using var doc = JsonDocument.Parse((await fx.Storage.Results.GetBlobClient("flow-poison/request/error.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("failed_after_retries", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True((await fx.Storage.Inbox.GetBlobClient(name).ExistsAsync()).Value);
    }

    [Fact]
    public async Task ProcessJob_NotAJobMessage_IsDroppedWithoutThrowing()
    {
        Assert.Equal(JobOutcome.ErrorWritten, await Functions().ProcessJobAsync("hello", default));
    }
}
