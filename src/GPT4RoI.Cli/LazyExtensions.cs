namespace GPT4RoI.Cli;

/// <summary>Helpers for <see cref="Lazy{T}"/>.</summary>
internal static class LazyExtensions
{
    /// <summary>Wraps a lazy value so that disposing the wrapper disposes the value if it was created.</summary>
    public static LazyDisposable<T> AsDisposable<T>(this Lazy<T> lazy)
        where T : IDisposable => new(lazy);
}
