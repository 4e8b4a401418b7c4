using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

using static GPT4RoI.Functions.Tests.HttpTestRequests;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>
/// Load on one instance, with assertions on correctness (every job, query and turn answered right, nothing lost), and
/// figures written to the test output (throughput, latency percentiles, peak memory). By default a small version of
/// each runs (50 jobs, 32 queries, 5 sessions); with <c>GPT4ROI_LOAD=1</c> the full one (1,000 jobs, 200 queries, 50
/// sessions): <c>GPT4ROI_LOAD=1 dotnet test tests/GPT4RoI.Functions.Tests -c Release --filter FullyQualifiedName~LoadTests
/// --logger "console;verbosity=detailed"</c>. Figures of a full run are in docs/reliability.md.
/// </summary>
[Collection("reliability")]
public sealed class LoadTests(AzuriteFixture fx, ITestOutputHelper output)
{
    private const int TurnsPerSession = 5;
    private static readonly bool Full = Environment.GetEnvironmentVariable("GPT4ROI_LOAD") == "1";
    private static readonly int JobCount = Full ? 1000 : 50;
    private static readonly int QueryCount = Full ? 200 : 32;
    private static readonly int SessionCount = Full ? 50 : 5;

    private void Report(string line) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{(Full ? "full" : "small")}] {line}"));

    [Fact]
    public async Task QueuedJobs_ThroughOneInstance_EveryResultWrittenNonePoisonedMemoryBounded()
    {
        var storage = fx.Storage;
        var poison = storage.Queues.GetQueueClient(StorageNames.JobPoisonQueue);
        await storage.JobQueue.ClearMessagesAsync();
        await poison.ClearMessagesAsync();
        var intake = fx.Services.GetRequiredService<IManifestIntake>();
        const string folder = "load-jobs";
        await storage.Inbox.GetBlobClient($"{folder}/shapes.png").UploadAsync(new BinaryData(JobDrops.SampleImage), overwrite: true);
        var names = Enumerable.Range(0, JobCount).Select(i => $"{folder}/r{i:D4}.json").ToList();
        var queueing = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
        {
            // Two tasks per job; the request id makes every manifest (and so every result name) different.
            var manifest = JobDrops.Manifest(Path.GetFileNameWithoutExtension(name), 2);
            await storage.Inbox.GetBlobClient(name).UploadAsync(new BinaryData(manifest), overwrite: true, ct);
            Assert.Equal(IntakeOutcome.Enqueued, await intake.AcceptAsync(name, manifest, ct));
        });
        Report($"jobs: {JobCount} manifests dropped and queued in {queueing.Elapsed.TotalSeconds:0.0} s");

        var host = new QueueHost(storage.JobQueue, poison, fx.Services.GetRequiredService<IJobProcessor>());
        var tenth = Math.Max(1, JobCount / 10);
        long warmWorkingSet = 0;
        GC.Collect();
        var managedBefore = GC.GetTotalMemory(true);
        await using (var memory = new MemorySampler())
        {
            var run = Stopwatch.StartNew();
            await host.RunUntilAsync(() =>
            {
                if (warmWorkingSet == 0 && host.Outcomes.Count >= tenth)
                {
                    memory.Sample();
                    warmWorkingSet = memory.WorkingSet;
                }

                return host.Outcomes.Count + host.Poisoned >= JobCount;
            }, TimeSpan.FromMinutes(Full ? 40 : 10));
            run.Stop();
            memory.Sample();
            GC.Collect();
            var managedAfter = GC.GetTotalMemory(true);
            Report($"jobs: {JobCount} processed one at a time in {run.Elapsed.TotalSeconds:0.0} s = {JobCount / run.Elapsed.TotalSeconds:0.0} jobs/s " +
                $"({run.Elapsed.TotalMilliseconds / JobCount:0} ms per job, 2 answers each)");
            Report($"jobs: working set after {tenth} jobs {Stats.Mb(warmWorkingSet)}, at the end {Stats.Mb(memory.WorkingSet)}, peak {Stats.Mb(memory.PeakWorkingSet)}; " +
                $"managed heap peak {Stats.Mb(memory.PeakManaged)}, after a full GC {Stats.Mb(managedBefore)} before → {Stats.Mb(managedAfter)} after");

            // Bounded: after the first tenth of the jobs the process does not keep growing with the job count.
            Assert.True(memory.PeakWorkingSet - warmWorkingSet < 400L * 1024 * 1024,
                $"working set grew from {Stats.Mb(warmWorkingSet)} to a peak of {Stats.Mb(memory.PeakWorkingSet)}");
            Assert.True(managedAfter - managedBefore < 64L * 1024 * 1024, $"managed heap grew from {Stats.Mb(managedBefore)} to {Stats.Mb(managedAfter)}");
        }

        Assert.Equal(0, host.Poisoned);
        Assert.Empty(host.Failures);
        Assert.Equal(JobCount, host.Outcomes.Count);
        Assert.All(host.Outcomes, o => Assert.Equal((JobOutcome.ResultWritten, 1L), o));
        Assert.Empty((await poison.PeekMessagesAsync()).Value);

        var results = new List<string>();
        await foreach (var b in storage.Results.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, folder + "/", default))
        {
            results.Add(b.Name);
        }

        Assert.Equal(JobCount, results.Count(n => n.EndsWith(".result.json", StringComparison.Ordinal)));
        Assert.DoesNotContain(results, n => n.EndsWith("error.json", StringComparison.Ordinal));
        await Parallel.ForEachAsync(results, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
        {
            using var doc = JsonDocument.Parse((await storage.Results.GetBlobClient(name).DownloadContentAsync(ct)).Value.Content.ToMemory());
            var answers = doc.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("turns")[0].GetProperty("answer").GetString());
            Assert.Equal(["a red circle", "green"], answers);
        });
    }

    [Fact]
    public async Task ConcurrentQueries_SaturatedHttpLayer_NoneLostRefusalsCarryRetryAfter()
    {
        // Full scale: the default admission (2 × 8 batch slots = 16). Small scale: 2 slots (admission 4), so 32 clients
        // surely saturate it. No queueing inside the app (QueryQueueWait 0): a query finds room or is refused at once.
        var settings = new Dictionary<string, string?> { ["Gpt4RoI:QueryQueueWait"] = "00:00:00", ["Gpt4RoI:QueryRetryAfter"] = "00:00:01" };
        if (!Full)
        {
            settings["Gpt4RoI:MaxBatch"] = "2";
        }

        await using var sp = fx.BuildServices(settings);
        var functions = ActivatorUtilities.CreateInstance<QueryFunctions>(sp);
        var admission = sp.GetRequiredService<QueryAdmission>();
        var engine = sp.GetRequiredService<Gpt4RoIEngine>();
        Assert.Equal(FunctionsOptions.AdmissionPerBatchSlot * engine.BatchCapacity, admission.Capacity);
        Assert.Equal(Full ? 8 : 2, engine.BatchCapacity);
        _ = await functions.QueryAsync(Multipart(JobDrops.SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}"""), default);

        var answered = new ConcurrentBag<double>();
        var endToEnd = new ConcurrentBag<double>();
        var refused = new ConcurrentBag<double>();
        var missingRetryAfter = 0;
        var maxInUse = 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clients = Enumerable.Range(0, QueryCount).Select(i => Task.Run(async () =>
        {
            var (question, box, expected) = JobDrops.Questions[i % JobDrops.Questions.Length];
            var stream = i % 4 == 0;
            var body = $$"""{"question": "{{question}}", "regions": [{{box}}], "stream": {{(stream ? "true" : "false")}}}""";
            await go.Task;
            var all = Stopwatch.StartNew();
            for (var attempt = 1; attempt <= 600; attempt++)
            {
                var request = Multipart(JobDrops.SampleImage, body);
                var one = Stopwatch.StartNew();
                var r = await functions.QueryAsync(request, default);
                InterlockedMax(ref maxInUse, admission.InUse);
                if (Status(r) == 503)
                {
                    refused.Add(one.Elapsed.TotalMilliseconds);
                    if (request.HttpContext.Response.Headers.RetryAfter.ToString() != "1")
                    {
                        Interlocked.Increment(ref missingRetryAfter);
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1));
                    continue;
                }

                answered.Add(one.Elapsed.TotalMilliseconds);
                endToEnd.Add(all.Elapsed.TotalMilliseconds);
                Assert.Equal(200, Status(r));
                return stream ? AnswerOfStream(request.HttpContext.Response.Body) == expected : Value(r).GetProperty("answer").GetString() == expected;
            }

            return false;
        })).ToList();

        var wall = Stopwatch.StartNew();
        go.SetResult();
        var correct = await Task.WhenAll(clients);
        wall.Stop();

        Report($"http: {QueryCount} concurrent clients (a quarter streaming), admission {admission.Capacity} (batch capacity {engine.BatchCapacity}), " +
            $"all answered in {wall.Elapsed.TotalSeconds:0.0} s = {QueryCount / wall.Elapsed.TotalSeconds:0.0} answers/s; most admitted at once {maxInUse}");
        Report($"http: answered attempts {Stats.Summary(answered)}");
        Report($"http: 503 refusals {Stats.Summary(refused)}");
        Report($"http: end to end, retries after Retry-After included: {Stats.Summary(endToEnd)}");
        Assert.All(correct, Assert.True);
        Assert.Equal(QueryCount, answered.Count);
        Assert.NotEmpty(refused);
        Assert.Equal(0, missingRetryAfter);
        Assert.InRange(maxInUse, 1, admission.Capacity);
        Assert.Equal(0, admission.InUse);
    }

    [Fact]
    public async Task StreamedQuery_ClientReadsNothing_EngineSlotAndAdmissionFreedWhenGenerationEnds()
    {
        await using var sp = fx.BuildServices(new() { ["Gpt4RoI:MaxQueuedQueries"] = "1", ["Gpt4RoI:QueryQueueWait"] = "00:00:00" });
        var functions = ActivatorUtilities.CreateInstance<QueryFunctions>(sp);
        var admission = sp.GetRequiredService<QueryAdmission>();
        var slow = Multipart(JobDrops.SampleImage, """{"question": "What is <region1>?", "regions": [[95,70,215,190]], "stream": true}""");
        var gate = new GatedStream();
        slow.HttpContext.Response.Body = gate;

        var streaming = functions.QueryAsync(slow, default);
        await gate.FirstWrite.WaitAsync(TimeSpan.FromMinutes(1));
        var waited = Stopwatch.StartNew();
        while (admission.InUse > 0 && waited.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(10);
        }

        // The client has read nothing, yet the answer is generated and its slot given back.
        Assert.Equal(0, admission.InUse);
        Assert.False(streaming.IsCompleted);
        var other = await functions.QueryAsync(Multipart(JobDrops.SampleImage, """{"question": "What color is <region1>?", "regions": [[232,12,348,128]]}"""), default);
        Assert.Equal(200, Status(other));
        Assert.Equal("green", Value(other).GetProperty("answer").GetString());

        gate.Open();
        Assert.IsType<EmptyResult>(await streaming);
        Assert.Equal("a red circle", AnswerOfStream(gate));
    }

    [Fact]
    public async Task DurableSessions_ConcurrentFiveTurnSessions_EveryTranscriptCompleteAndInOrder()
    {
        var store = fx.Services.GetRequiredService<SessionStore>();
        await using var host = await TestSessions.StartDurableHostAsync(store);
        var service = TestSessions.Functions(fx.Services, new FunctionsOptions
        {
            SessionTurnWait = TimeSpan.FromMinutes(3),
            SessionPollInterval = TimeSpan.FromMilliseconds(100),
        });
        string[] turns =
        [
            """{"question": "What is <region1>?", "regions": [[95,70,215,190]]}""",
            """{"question": "What color is <region2>?", "regions": [[232,12,348,128]]}""",
            """{"question": "Where is <region3> relative to <region1>?", "regions": [[396,130,476,212]]}""",
            """{"question": "What shape is <region3>?"}""",
            """{"question": "Where is <region2> relative to <region3>?"}""",
        ];
        var latencies = new ConcurrentBag<double>();

        async Task<(string Id, List<string> TurnIds, List<string?> Answers)> RunSessionAsync()
        {
            var created = await service.CreateAsync(Multipart(JobDrops.SampleImage, null, "/api/sessions"), host.Client, default);
            Assert.Equal(201, Status(created));
            var id = Value(created).GetProperty("id").GetString()!;
            var ids = new List<string>();
            var answers = new List<string?>();
            foreach (var body in turns)
            {
                var sw = Stopwatch.StartNew();
                var r = await service.SubmitTurnAsync(Json(body, $"/api/sessions/{id}/turns"), host.Client, id, default);
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                Assert.Equal(200, Status(r));
                var v = Value(r);
                ids.Add(v.GetProperty("turn_id").GetString()!);
                answers.Add(v.GetProperty("answer").GetString());
            }

            return (id, ids, answers);
        }

        // One session alone gives the answers every concurrent one must give.
        var reference = await RunSessionAsync();
        Assert.Equal(["a red circle", "green", "right of"], reference.Answers.Take(3));
        latencies.Clear();

        var wall = Stopwatch.StartNew();
        var sessions = await Task.WhenAll(Enumerable.Range(0, SessionCount).Select(_ => Task.Run(RunSessionAsync)));
        wall.Stop();
        Report($"sessions: {SessionCount} concurrent sessions × {TurnsPerSession} turns in {wall.Elapsed.TotalSeconds:0.0} s = " +
            $"{SessionCount * TurnsPerSession / wall.Elapsed.TotalSeconds:0.0} turns/s; turn latency {Stats.Summary(latencies)}");

        foreach (var (id, turnIds, answers) in sessions)
        {
            Assert.Equal(reference.Answers, answers);
            var (transcript, _) = (await store.ReadAsync(id))!.Value;
            Assert.Equal(turnIds, transcript.Turns.Select(t => t.TurnId));
            Assert.Equal(reference.Answers, transcript.Turns.Select(t => t.Answer));
            Assert.All(transcript.Turns, t => Assert.Null(t.Error));
            Assert.Equal([1, 2, 3], transcript.Turns.SelectMany(t => t.Regions).Select(r => r.Region!.Value));
            Assert.True(transcript.Turns.Zip(transcript.Turns.Skip(1)).All(p => p.First.CompletedUtc <= p.Second.SubmittedUtc), "turns out of order");
            await host.Client.TerminateInstanceAsync(id);
        }

        await host.Client.TerminateInstanceAsync(reference.Id);
    }

    private static string? AnswerOfStream(Stream body)
    {
        var text = Encoding.UTF8.GetString(((MemoryStream)body).ToArray());
        var result = text.Split("\n\n").Single(e => e.StartsWith("event: result", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(result["event: result\ndata: ".Length..]);
        return doc.RootElement.GetProperty("answer").GetString();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
