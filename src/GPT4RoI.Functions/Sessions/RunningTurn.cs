namespace GPT4RoI.Functions.Sessions;

/// <summary>A turn being answered in this process (<see cref="TurnStops.Start"/>).</summary>
public sealed class RunningTurn : IDisposable
{
    private readonly TurnStops _owner;
    private readonly string _turnId;
    private readonly CancellationTokenSource _stop;

    internal RunningTurn(TurnStops owner, string turnId, CancellationTokenSource stop)
    {
        _owner = owner;
        _turnId = turnId;
        _stop = stop;
    }

    /// <summary>Cancelled when the turn is asked to stop.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>Asks the turn to stop (a stop request found in storage).</summary>
    public void Stop() => _stop.Cancel();

    public void Dispose()
    {
        _owner.Remove(_turnId, _stop);
        _stop.Dispose();
    }
}
