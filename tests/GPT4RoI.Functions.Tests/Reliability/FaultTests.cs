using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Storage;
using GPT4RoI.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

using static GPT4RoI.Functions.Tests.HttpTestRequests;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>
/// Faults against a real Azurite: storage stopped in the middle of a job, the worker process killed in the middle of a
/// job, a result blob that is already there with other content, and the model folder changed under a running engine.
/// </summary>
[Collection("reliability")]
public sealed class FaultTests(AzuriteFixture fx, ITestOutputHelper output)
{
    /// <summary>Tasks per job of these tests.</summary>
    private const int JobTasks = 6;

    private StorageClients Storage => fx.Storage;
    private QueueClient Poison => Storage.Queues.GetQueueClient(StorageNames.JobPoisonQueue);

    private async Task ClearQueuesAsync()
    {
        await Storage.JobQueue.ClearMessagesAsync();
        await Poison.ClearMessagesAsync();
    }

    [Fact]
    public async Task ProcessJob_StorageStoppedMidJobThenStarted_CompletesWithExactlyOneResult()
    {
        await ClearQueuesAsync();
        var gate = new ResultWriteGate();
        await using var sp = AzuriteFixture.BuildServices(fx.ConnectionString, [], s => gate.Install(s, fx.ConnectionString));
        var host = new QueueHost(Storage.JobQueue, Poison, sp.GetRequiredService<IJobProcessor>())
        {
            VisibilityTimeout = TimeSpan.FromSeconds(3),
            RetryDelay = TimeSpan.FromSeconds(1),
        };
        await JobDrops.DropAsync(Storage, sp.GetRequiredService<IManifestIntake>(), "fault-storage", JobTasks);

        // In the middle of the job: its inputs read, every task answered, its result about to be written.
        var clock = Stopwatch.StartNew();
        var first = host.RunOnceAsync();
        await gate.Reached.WaitAsync(TimeSpan.FromMinutes(3));
        var reached = clock.Elapsed;
        await fx.StopStorageAsync();
        gate.Release();
        Assert.True(await first, "the first delivery was taken");
        var failure = host.Failures.First();
        Assert.True(failure is RequestFailedException or AggregateException or HttpRequestException, failure.ToString());
        output.WriteLine($"storage stopped {reached.TotalSeconds:0.0} s into the job, before its result was written; the delivery failed " +
            $"{clock.Elapsed.TotalSeconds:0.0} s into it with {failure.GetType().Name}: {FirstLine(failure.Message)}");
        Assert.Empty(host.Outcomes);
        Assert.Equal(0, host.Poisoned);

        await fx.StartStorageAsync();
        await host.RunUntilAsync(() => !host.Outcomes.IsEmpty, TimeSpan.FromMinutes(3));

        var (outcome, dequeueCount) = Assert.Single(host.Outcomes);
        Assert.Equal(JobOutcome.ResultWritten, outcome);
        Assert.True(dequeueCount >= 2, $"dequeue count {dequeueCount}");
        await AssertOneIntactResultAsync("fault-storage", JobTasks);
        Assert.Equal(0, host.Poisoned);
        Assert.Empty((await Storage.JobQueue.PeekMessagesAsync()).Value);
    }

    [Fact]
    public async Task ProcessJob_WorkerKilledMidJob_MessageReturnsAndOneResultIsWritten()
    {
        await ClearQueuesAsync();
        var processor = fx.Services.GetRequiredService<IJobProcessor>();
        await JobDrops.DropAsync(Storage, fx.Services.GetRequiredService<IManifestIntake>(), "fault-kill", JobTasks);
        const int visibilitySeconds = 10;

        var worker = StartWorker(visibilitySeconds);
        var lines = new List<string>();
        try
        {
            var started = Stopwatch.StartNew();
            string? line;
            while ((line = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2))) is not null)
            {
                lines.Add(line);
                if (line == "writing")
                {
                    break;
                }
            }

            if (line is null)
            {
                Assert.Fail("the worker ended before its result write: " + string.Join(" | ", lines) + await worker.StandardError.ReadToEndAsync());
            }

            // In the middle of the job (every task answered, the result upload held): the process dies without any chance to clean up.
            if (worker.HasExited)
            {
                Assert.Fail($"the worker ended (exit code {worker.ExitCode}) before it could be killed: {string.Join(" | ", lines)} | " +
                    await worker.StandardOutput.ReadToEndAsync() + await worker.StandardError.ReadToEndAsync());
            }

            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
            output.WriteLine($"worker killed {started.Elapsed.TotalSeconds:0.0} s after it started; it printed: {string.Join(" | ", lines)}");
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }

            worker.Dispose();
        }

        Assert.Empty(await ResultFilesAsync("fault-kill"));
        // Invisible while the dead worker's visibility timeout lasts, then visible again: the same message, taken a second time.
        var host = new QueueHost(Storage.JobQueue, Poison, processor) { VisibilityTimeout = TimeSpan.FromSeconds(30) };
        var waited = Stopwatch.StartNew();
        await host.RunUntilAsync(() => !host.Outcomes.IsEmpty, TimeSpan.FromMinutes(3));
        output.WriteLine($"the message came back and was processed {waited.Elapsed.TotalSeconds:0.0} s after the kill");

        var (outcome, dequeueCount) = Assert.Single(host.Outcomes);
        Assert.Equal(JobOutcome.ResultWritten, outcome);
        Assert.Equal(2, dequeueCount);
        Assert.Empty(host.Failures);
        await AssertOneIntactResultAsync("fault-kill", JobTasks);
    }

    [Fact]
    public async Task ProcessJob_ResultAlreadyThereWithOtherContent_KeptAndReportedAsConflict()
    {
        await ClearQueuesAsync();
        var logger = new CapturingLogger<JobProcessor>();
        var processor = ActivatorUtilities.CreateInstance<JobProcessor>(fx.Services, logger);
        var intake = fx.Services.GetRequiredService<IManifestIntake>();

        foreach (var (folder, content) in new[]
        {
            ("conflict-tampered", Encoding.UTF8.GetBytes("""{"request_id": "conflict-tampered", "tampered": true}""")),
            ("conflict-half", Encoding.UTF8.GetBytes("""{"request_id": "conflict-half", "image": {"name": "shapes.png", "sha256": "71484b0f""")),
        })
        {
            await JobDrops.DropAsync(Storage, intake, folder, 2);
            var message = await TakeAsync();
            var resultName = JobDrops.ResultName(folder, 2);
            await Storage.Results.GetBlobClient(resultName).UploadAsync(new BinaryData(content));

            Assert.Equal(JobOutcome.ResultConflict, await processor.ProcessAsync(message));

            Assert.Equal(content, (await Storage.Results.GetBlobClient(resultName).DownloadContentAsync()).Value.Content.ToArray());
            using var error = JsonDocument.Parse((await Storage.Results.GetBlobClient($"{folder}/request/error.json").DownloadContentAsync()).Value.Content.ToString());
            Assert.Equal("result_conflict", error.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Contains(resultName, error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            var logged = Assert.Single(logger.Entries, e => e.EventId == LogEvents.JobResultConflict && e.Message.Contains(folder, StringComparison.Ordinal));
            Assert.Equal(LogLevel.Error, logged.Level);
            output.WriteLine(logged.Message);
        }
    }

    [Fact]
    public async Task ProcessJob_ResultAlreadyThereWithSameContent_IdempotentSuccess()
    {
        await ClearQueuesAsync();
        var logger = new CapturingLogger<JobProcessor>();
        var processor = ActivatorUtilities.CreateInstance<JobProcessor>(fx.Services, logger);
        await JobDrops.DropAsync(Storage, fx.Services.GetRequiredService<IManifestIntake>(), "conflict-same", 2);
        var message = await TakeAsync();
        Assert.Equal(JobOutcome.ResultWritten, await processor.ProcessAsync(message));
        var blob = Storage.Results.GetBlobClient(JobDrops.ResultName("conflict-same", 2));
        var written = (await blob.DownloadContentAsync()).Value.Content.ToArray();

        // Intact (its content hash matches): nothing is run or written.
        Assert.Equal(JobOutcome.AlreadyDone, await processor.ProcessAsync(message));

        // The same bytes again, without the hash (a copy made by hand): the job runs, says the same, nothing is written.
        await blob.UploadAsync(new BinaryData(written), overwrite: true);
        var etag = (await blob.GetPropertiesAsync()).Value.ETag;
        Assert.Equal(JobOutcome.AlreadyDone, await processor.ProcessAsync(message));
        Assert.Equal(etag, (await blob.GetPropertiesAsync()).Value.ETag);
        Assert.Single(logger.Entries, e => e.EventId == LogEvents.JobResultMatched);
        Assert.DoesNotContain(logger.Entries, e => e.EventId == LogEvents.JobResultConflict);
        Assert.False((await Storage.Results.GetBlobClient("conflict-same/request/error.json").ExistsAsync()).Value);

        // One answer changed, the rest the same: a conflict.
        var tampered = Encoding.UTF8.GetString(written).Replace("\"a red circle\"", "\"a blue circle\"", StringComparison.Ordinal);
        Assert.NotEqual(Encoding.UTF8.GetString(written), tampered);
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(tampered)), overwrite: true);
        Assert.Equal(JobOutcome.ResultConflict, await processor.ProcessAsync(message));
        Assert.Equal(tampered, (await blob.DownloadContentAsync()).Value.Content.ToString());
        Assert.Contains(logger.Entries, e => e.EventId == LogEvents.JobResultConflict && e.Message.Contains("answers differ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Engine_ModelFileTruncatedWhileRunning_NextUseFailsClearlyAndHealthReportsIt()
    {
        using var model = new TempDirectory();
        foreach (var file in Directory.GetFiles(TinyModel.Path))
        {
            File.Copy(file, model.File(Path.GetFileName(file)));
        }

        await using var sp = fx.BuildServices(new() { ["Gpt4RoI:ModelPath"] = model.Path });
        var functions = ActivatorUtilities.CreateInstance<QueryFunctions>(sp);
        const string question = """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""";
        var before = await functions.QueryAsync(Multipart(JobDrops.SampleImage, question), default);
        Assert.Equal(200, Status(before));
        Assert.Equal("a red circle", Value(before).GetProperty("answer").GetString());
        var healthy = functions.Health(new DefaultHttpContext().Request);
        Assert.Equal(200, Status(healthy));
        Assert.Equal("ok", Value(healthy).GetProperty("status").GetString());

        var decoder = sp.GetRequiredService<Gpt4RoIEngine>().Folder.GraphPath("decoder");
        var length = new FileInfo(decoder).Length;
        using (var f = new FileStream(decoder, FileMode.Open, FileAccess.Write))
        {
            f.SetLength(length / 2);
        }

        var after = await functions.QueryAsync(Multipart(JobDrops.SampleImage, question), default);
        Assert.Equal(503, Status(after));
        var problem = Assert.IsType<ProblemDetails>(((ObjectResult)after).Value);
        Assert.Equal("model_error", problem.Extensions["code"]);
        Assert.Contains("decoder", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("changed under the running engine", problem.Detail, StringComparison.Ordinal);
        output.WriteLine(problem.Detail);

        var health = functions.Health(new DefaultHttpContext().Request);
        Assert.Equal(503, Status(health));
        var report = Value(health);
        Assert.Equal("model_changed", report.GetProperty("status").GetString());
        Assert.Contains($"has {length / 2} bytes; it had {length}", report.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A queued job fails too (thrown, so the host retries it and finally records failed_after_retries).
        await ClearQueuesAsync();
        await JobDrops.DropAsync(Storage, sp.GetRequiredService<IManifestIntake>(), "fault-model", 1);
        var message = await TakeAsync();
        var ex = await Assert.ThrowsAsync<ModelLoadException>(() => sp.GetRequiredService<IJobProcessor>().ProcessAsync(message));
        Assert.Contains("decoder", ex.Message, StringComparison.Ordinal);
    }

    private async Task<string> TakeAsync()
    {
        var m = Assert.Single((await Storage.JobQueue.ReceiveMessagesAsync(1)).Value);
        await Storage.JobQueue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        return m.Body.ToString();
    }

    private async Task<List<string>> ResultFilesAsync(string folder) =>
        [.. (await JobDrops.ResultsAsync(Storage, folder)).Select(b => b.Name).Where(n => n.EndsWith(".result.json", StringComparison.Ordinal))];

    private async Task AssertOneIntactResultAsync(string folder, int tasks)
    {
        var blobs = await JobDrops.ResultsAsync(Storage, folder);
        var result = Assert.Single(blobs);
        Assert.Equal(JobDrops.ResultName(folder, tasks), result.Name);
        var bytes = (await Storage.Results.GetBlobClient(result.Name).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(ResultNames.Sha256(bytes), result.Metadata["content_sha256"]);
        using var doc = JsonDocument.Parse(bytes);
        var answers = doc.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("turns")[0].GetProperty("answer").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, tasks).Select(i => JobDrops.Questions[i % JobDrops.Questions.Length].Answer), answers);
    }

    private Process StartWorker(int visibilitySeconds)
    {
        var assembly = typeof(JobWorkerProgram).Assembly.Location;
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? Environment.ProcessPath!
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.ChangeExtension(assembly, ".runtimeconfig.json"), "--depsfile", Path.ChangeExtension(assembly, ".deps.json"),
                     assembly, JobWorkerProgram.Command, fx.ConnectionString, visibilitySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start the worker");
    }

    private static string FirstLine(string s) => s.Split('\n')[0];
}
