using System.Diagnostics;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>Samples this process's working set and managed heap every 100 ms until disposed.</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakWorkingSet, _peakManaged, _current;

    public MemorySampler()
    {
        Sample();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);
    public long PeakManaged => Interlocked.Read(ref _peakManaged);
    public long WorkingSet => Interlocked.Read(ref _current);

    public void Sample()
    {
        using var p = Process.GetCurrentProcess();
        var ws = p.WorkingSet64;
        var managed = GC.GetTotalMemory(false);
        Interlocked.Exchange(ref _current, ws);
        InterlockedMax(ref _peakWorkingSet, ws);
        InterlockedMax(ref _peakManaged, managed);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
