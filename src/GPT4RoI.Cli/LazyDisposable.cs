namespace GPT4RoI.Cli;

/// <summary>A <see cref="Lazy{T}"/> that disposes its value on dispose, only when it was created.</summary>
internal sealed class LazyDisposable<T>(Lazy<T> lazy) : IDisposable
    where T : IDisposable
{
    /// <summary>The value, created on first use.</summary>
    public T Value => lazy.Value;

    /// <inheritdoc />
    public void Dispose()
    {
        if (lazy.IsValueCreated)
        {
            lazy.Value.Dispose();
        }
    }
}
