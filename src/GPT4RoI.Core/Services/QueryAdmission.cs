using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Services;

/// <summary>
/// Bounds the questions a host takes at once (running or waiting for an engine slot). A question that finds no room
/// within <see cref="QueueWait"/> is refused with <see cref="ErrorCode.Busy"/> and a retry delay, so a flood turns into
/// quick refusals instead of a growing queue. Thread-safe.
/// </summary>
public sealed class QueryAdmission : IDisposable
{
    private readonly SemaphoreSlim? _slots;

    /// <summary>Admits up to <paramref name="maxQueued"/> questions at once (0 refuses every question).</summary>
    public QueryAdmission(int maxQueued, TimeSpan queueWait, TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueWait, TimeSpan.Zero);
        _slots = new SemaphoreSlim(maxQueued, Math.Max(1, maxQueued));
        Capacity = maxQueued;
        QueueWait = queueWait;
        RetryAfter = retryAfter;
    }

    private QueryAdmission()
    {
        Capacity = int.MaxValue;
    }

    /// <summary>Admits every question (the command line: one user, one question at a time).</summary>
    public static QueryAdmission Unbounded { get; } = new();

    /// <summary>Most questions admitted at once.</summary>
    public int Capacity { get; }

    /// <summary>How long a question waits for room before it is refused.</summary>
    public TimeSpan QueueWait { get; }

    /// <summary>The delay a refused caller is told to wait.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Questions admitted now.</summary>
    public int InUse => _slots is null ? 0 : Capacity - _slots.CurrentCount;

    /// <summary>Waits for room; dispose the result to give it back.</summary>
    /// <exception cref="Gpt4RoIException"><see cref="ErrorCode.Busy"/> when no room freed up in time.</exception>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots is null)
        {
            return Lease.None;
        }

        if (!await _slots.WaitAsync(QueueWait, cancellationToken).ConfigureAwait(false))
        {
            throw new Gpt4RoIException(ErrorCode.Busy, "every engine slot is taken; try again later") { RetryAfter = RetryAfter };
        }

        return new Lease(_slots);
    }

    /// <inheritdoc />
    public void Dispose() => _slots?.Dispose();

    private sealed class Lease(SemaphoreSlim? slots) : IDisposable
    {
        private SemaphoreSlim? _slots = slots;

        public static Lease None { get; } = new(null);

        public void Dispose() => Interlocked.Exchange(ref _slots, null)?.Release();
    }
}
