using System.Text;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>Manifests dropped into the inbox and accepted by the intake, as the blob trigger would, and the results
/// they lead to.</summary>
internal static class JobDrops
{
    public static readonly byte[] SampleImage = File.ReadAllBytes(RepoPaths.SampleImage);

    /// <summary>Questions about the sample image and their greedy answers on the tiny model.</summary>
    public static readonly (string Question, string Box, string Answer)[] Questions =
    [
        ("What is <region1>?", "[95, 70, 215, 190]", "a red circle"),
        ("What color is <region1>?", "[232, 12, 348, 128]", "green"),
        ("What shape is <region1>?", "[396, 130, 476, 212]", "triangle"),
    ];

    /// <summary>A manifest of <paramref name="tasks"/> one-turn tasks cycling through <see cref="Questions"/>.</summary>
    public static byte[] Manifest(string requestId, int tasks)
    {
        var items = Enumerable.Range(0, tasks).Select(i =>
        {
            var q = Questions[i % Questions.Length];
            return $$"""{ "id": "t{{i}}", "question": "{{q.Question}}", "regions": [{{q.Box}}] }""";
        });
        return Encoding.UTF8.GetBytes($$"""{ "image": "shapes.png", "request_id": "{{requestId}}", "tasks": [ {{string.Join(", ", items)}} ] }""");
    }

    /// <summary>Uploads the image (unless asked not to) and a manifest under <paramref name="folder"/> and hands the
    /// manifest to the intake, which queues its job. Returns the manifest's blob name.</summary>
    public static async Task<string> DropAsync(StorageClients storage, IManifestIntake intake, string folder, int tasks, bool image = true)
    {
        if (image)
        {
            await storage.Inbox.GetBlobClient($"{folder}/shapes.png").UploadAsync(new BinaryData(SampleImage), overwrite: true);
        }

        var name = $"{folder}/request.json";
        var manifest = Manifest(folder, tasks);
        await storage.Inbox.GetBlobClient(name).UploadAsync(new BinaryData(manifest), overwrite: true);
        Assert.Equal(IntakeOutcome.Enqueued, await intake.AcceptAsync(name, manifest));
        return name;
    }

    /// <summary>The result blob name a job for <paramref name="folder"/>'s manifest writes.</summary>
    public static string ResultName(string folder, int tasks) =>
        ResultNames.Result($"{folder}/request.json", ResultNames.Sha256(Manifest(folder, tasks)), ResultNames.Sha256(SampleImage), "gpt4roi-tiny-shapes");

    /// <summary>The blobs under <c>results/{folder}/request/</c>.</summary>
    public static async Task<List<BlobItem>> ResultsAsync(StorageClients storage, string folder)
    {
        var list = new List<BlobItem>();
        await foreach (var b in storage.Results.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, folder + "/request/", default))
        {
            list.Add(b);
        }

        return list;
    }
}
