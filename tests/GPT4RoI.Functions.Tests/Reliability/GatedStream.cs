namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>A response body whose client reads nothing until <see cref="Open"/>: every write waits for it, as a write to
/// a stalled connection waits for the client's window.</summary>
internal sealed class GatedStream : MemoryStream
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the writer first tries to write.</summary>
    public Task FirstWrite => _firstWrite.Task;

    /// <summary>Lets the writes through.</summary>
    public void Open() => _open.TrySetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _firstWrite.TrySetResult();
        await _open.Task.WaitAsync(cancellationToken);
        await base.WriteAsync(buffer, cancellationToken);
    }

    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        await WriteAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override async Task FlushAsync(CancellationToken cancellationToken) => await _open.Task.WaitAsync(cancellationToken);
}
