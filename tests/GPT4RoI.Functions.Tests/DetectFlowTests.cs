using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests;

/// <summary>Blob drops of detect manifests (<c>"regions": "detect"</c>) → queue job → result, against a real Azurite,
/// the functions invoked as the host would.</summary>
[Collection("azurite")]
public sealed class DetectFlowTests(AzuriteFixture fx)
{
    private InboxFunctions Functions() =>
        new(fx.Services.GetRequiredService<IManifestIntake>(), fx.Services.GetRequiredService<IJobProcessor>());

    private static byte[] GoldenImage(string name) =>
        File.ReadAllBytes(Path.Combine(TinyDetector.CaseDir(name), TinyDetector.ReadCase(name).GetProperty("image").GetString()!));

    private async Task<(string Name, IntakeOutcome Outcome)> DropAsync(string folder, string manifestJson, string golden = "01_png")
    {
        await fx.Storage.Inbox.UploadBlobAsync($"{folder}/scene.png", new BinaryData(GoldenImage(golden)));
        var name = $"{folder}/request.json";
        var bytes = Encoding.UTF8.GetBytes(manifestJson);
        await fx.Storage.Inbox.UploadBlobAsync(name, new BinaryData(bytes));
        return (name, await Functions().ManifestDroppedAsync(bytes, name, default));
    }

    private async Task<string> TakeMessageAsync(string manifest)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            foreach (var m in (await fx.Storage.JobQueue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1))).Value)
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

    private async Task<JsonDocument> ReadAsync(string blob) =>
        JsonDocument.Parse((await fx.Storage.Results.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString());

    private async Task<List<string>> ResultsUnderAsync(string folder)
    {
        var list = new List<string>();
        await foreach (var b in fx.Storage.Results.GetBlobsAsync(BlobTraits.None, BlobStates.None, folder + "/", default))
        {
            list.Add(b.Name);
        }

        return list;
    }

    [Fact]
    public async Task DropThenJob_RegionsDetect_ListsEachDetectionWithItsAnswer()
    {
        var (name, outcome) = await DropAsync("detect-ok", """{ "image": "scene.png", "request_id": "d1", "regions": "detect" }""");
        Assert.Equal(IntakeOutcome.Enqueued, outcome);
        var message = await TakeMessageAsync(name);

        Assert.Equal(JobOutcome.ResultWritten, await Functions().ProcessJobAsync(message, default));
        // Delivered again: the result exists, nothing is written twice.
        Assert.Equal(JobOutcome.AlreadyDone, await Functions().ProcessJobAsync(message, default));

        var result = Assert.Single(await ResultsUnderAsync("detect-ok/request"));
        using var doc = await ReadAsync(result);
        var root = doc.RootElement;
        var truth = TinyDetector.ReadCase("01_png").GetProperty("objects").EnumerateArray()
            .Select(o => $"a {o.GetProperty("colour").GetString()} {o.GetProperty("kind").GetString()}").Order().ToList();
        var objects = root.GetProperty("objects").EnumerateArray().ToList();
        Assert.Equal("d1", root.GetProperty("request_id").GetString());
        Assert.Equal("per_region", root.GetProperty("mode").GetString());
        Assert.Equal("tiny-detector-shapes", root.GetProperty("detector").GetProperty("id").GetString());
        Assert.Equal(0, root.GetProperty("tasks").GetArrayLength());
        Assert.Equal(truth, objects.Select(o => o.GetProperty("answer").GetString()!).Order());
        Assert.All(objects, o =>
        {
            Assert.EndsWith(o.GetProperty("label").GetString()!, o.GetProperty("answer").GetString()!, StringComparison.Ordinal);
            Assert.Equal(4, o.GetProperty("box").GetArrayLength());
        });
    }

    [Fact]
    public async Task DropThenJob_DetectTrueOnEmptyScene_WritesAResultWithNoObjects()
    {
        var (name, outcome) = await DropAsync("detect-empty", """{ "image": "scene.png", "detect": true }""", "06_empty");
        Assert.Equal(IntakeOutcome.Enqueued, outcome);

        Assert.Equal(JobOutcome.ResultWritten, await Functions().ProcessJobAsync(await TakeMessageAsync(name), default));

        using var doc = await ReadAsync(Assert.Single(await ResultsUnderAsync("detect-empty/request")));
        Assert.Equal(0, doc.RootElement.GetProperty("objects").GetArrayLength());
    }

    [Fact]
    public async Task DropThenJob_DetectQuestionWithoutRegion_WritesErrorJsonWithoutRetry()
    {
        var (name, _) = await DropAsync("detect-badq", """{ "image": "scene.png", "regions": "detect", "question": "What is this?" }""");

        Assert.Equal(JobOutcome.ErrorWritten, await Functions().ProcessJobAsync(await TakeMessageAsync(name), default));

        using var doc = await ReadAsync("detect-badq/request/error.json");
        Assert.Equal("invalid_question", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Drop_DetectWithTasks_IsRejectedAtIntake()
    {
        var (_, outcome) = await DropAsync("detect-tasks",
            """{ "image": "scene.png", "regions": "detect", "tasks": [ { "question": "What is <region1>?", "regions": [[1, 1, 9, 9]] } ] }""");

        Assert.Equal(IntakeOutcome.Rejected, outcome);
        using var doc = await ReadAsync("detect-tasks/request/error.json");
        Assert.Equal("invalid_manifest", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("no \"tasks\"", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
