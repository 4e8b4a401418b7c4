using System.Globalization;
using GPT4RoI.Core.Inference;
using GPT4RoI.Functions.Jobs;
using GPT4RoI.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>
/// The entry point of this test assembly. <c>dotnet GPT4RoI.Functions.Tests.dll job-worker CONNECTION VISIBILITY_S</c>
/// is a worker process: the app's services as the host wires them, the engine loaded, then one message of the job queue
/// taken with a visibility timeout of VISIBILITY_S seconds and processed the way the queue trigger does
/// (<see cref="QueueHost"/>). Its result upload is held (<see cref="ResultWriteGate"/>) and never
/// released. It prints <c>ready</c>, <c>processing N</c> (N = the dequeue count) when the job starts and <c>writing</c>
/// when the job has answered every task and its result upload is held, so a test can kill it there, in the middle of
/// the job. The test runner never calls it.
/// </summary>
internal static class JobWorkerProgram
{
    public const string Command = "job-worker";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 3 || args[0] != Command)
        {
            await Console.Error.WriteLineAsync($"usage: {Command} CONNECTION VISIBILITY_SECONDS");
            return 1;
        }

        // The job's result upload is held for good: the worker is killed between its inference and its one write.
        var gate = new ResultWriteGate();
        await using var services = AzuriteFixture.BuildServices(args[1], [], s => gate.Install(s, args[1]));
        _ = services.GetRequiredService<Gpt4RoIEngine>();
        var storage = services.GetRequiredService<StorageClients>();
        var host = new QueueHost(storage.JobQueue, storage.Queues.GetQueueClient(StorageNames.JobPoisonQueue), services.GetRequiredService<IJobProcessor>())
        {
            VisibilityTimeout = TimeSpan.FromSeconds(int.Parse(args[2], CultureInfo.InvariantCulture)),
            Started = (_, count) => Console.WriteLine($"processing {count}"),
        };
        _ = gate.Reached.ContinueWith(_ => Console.WriteLine("writing"), TaskScheduler.Default);
        Console.WriteLine("ready");
        while (!await host.RunOnceAsync())
        {
            await Task.Delay(100);
        }

        Console.WriteLine(host.Outcomes.TryPeek(out var o) ? $"done {o.Outcome}" : "done failed");
        return 0;
    }
}
