using System.Collections.Concurrent;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// The turns this process is answering, so that a stop request that arrives here reaches the answer at once; one that
/// arrives on another instance reaches it through storage (<see cref="SessionNames.StopRequest"/>, which the answering
/// activity checks every poll interval).
/// </summary>
public sealed class TurnStops
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    /// <summary>Registers a turn being answered; its token is cancelled when the turn is asked to stop. Dispose when
    /// the turn is recorded.</summary>
    public RunningTurn Start(string turnId)
    {
        var source = new CancellationTokenSource();
        _running[turnId] = source;
        return new RunningTurn(this, turnId, source);
    }

    /// <summary>Stops the turn when this process answers it; false when it does not (or no longer).</summary>
    public bool Stop(string turnId)
    {
        if (!_running.TryGetValue(turnId, out var source))
        {
            return false;
        }

        try
        {
            source.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    internal void Remove(string turnId, CancellationTokenSource source) =>
        _running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(turnId, source));
}
