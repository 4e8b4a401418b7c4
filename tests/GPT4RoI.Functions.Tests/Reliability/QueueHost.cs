using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues;
using GPT4RoI.Functions.Jobs;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>
/// What the Functions host's queue trigger does for <c>ProcessJob</c> with host.json's settings (batchSize 1,
/// newBatchThreshold 0: one message at a time): take a message with a visibility timeout, run the function, delete the
/// message when it returned; when it threw, make the message visible again after <see cref="RetryDelay"/> (host.json
/// visibilityTimeout), and after <see cref="MaxDequeueCount"/> failed tries move it to the poison queue. A message whose
/// worker dies keeps its visibility timeout and comes back when that runs out.
/// </summary>
internal sealed class QueueHost(QueueClient queue, QueueClient poison, IJobProcessor jobs)
{
    /// <summary>How long a taken message stays invisible to other workers.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>host.json <c>visibilityTimeout</c>: when a failed message is tried again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>host.json <c>maxDequeueCount</c>.</summary>
    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>Called with the message text and its dequeue count when a message is taken, before the function runs.</summary>
    public Action<string, long>? Started { get; init; }

    public ConcurrentQueue<(JobOutcome Outcome, long DequeueCount)> Outcomes { get; } = new();
    public ConcurrentQueue<Exception> Failures { get; } = new();
    public int Poisoned => _poisoned;

    private int _poisoned;

    /// <summary>Takes and runs one message; false when none was visible.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct = default)
    {
        var taken = (await queue.ReceiveMessagesAsync(1, VisibilityTimeout, ct)).Value;
        if (taken.Length == 0)
        {
            return false;
        }

        var m = taken[0];
        var text = m.Body.ToString();
        Started?.Invoke(text, m.DequeueCount);
        try
        {
            var outcome = await jobs.ProcessAsync(text, ct);
            Outcomes.Enqueue((outcome, m.DequeueCount));
            await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failures.Enqueue(ex);
            try
            {
                if (m.DequeueCount >= MaxDequeueCount)
                {
                    await poison.SendMessageAsync(text, ct);
                    await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
                    Interlocked.Increment(ref _poisoned);
                }
                else
                {
                    await queue.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: RetryDelay, cancellationToken: ct);
                }
            }
            catch (Exception release) when (release is RequestFailedException or AggregateException or HttpRequestException)
            {
                // Storage is down too: the message comes back when its visibility timeout runs out.
                Failures.Enqueue(release);
            }
        }

        return true;
    }

    /// <summary>Runs messages until <paramref name="done"/> says so, looking again every 100 ms while the queue shows
    /// none; fails after <paramref name="timeout"/>.</summary>
    public async Task RunUntilAsync(Func<bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!done())
        {
            cts.Token.ThrowIfCancellationRequested();
            bool ran;
            try
            {
                ran = await RunOnceAsync(cts.Token);
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
            {
                Failures.Enqueue(ex);
                ran = false;
            }

            if (!ran)
            {
                await Task.Delay(100, cts.Token);
            }
        }
    }
}
