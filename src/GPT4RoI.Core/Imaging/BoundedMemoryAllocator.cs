using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using SixLabors.ImageSharp.Memory;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// One decode's view of the shared ImageSharp allocator: every buffer goes through the shared pool, but the
/// bytes this decode holds at once are capped (ImageSharp 2.1 only caps single buffers). Buffers beyond the cap
/// throw <see cref="InvalidMemoryOperationException"/>, which the decoders report as a memory limit.
/// </summary>
internal sealed class BoundedMemoryAllocator(MemoryAllocator inner, long limitBytes, long bufferLimitBytes, int bufferCapacityBytes)
    : MemoryAllocator
{
    private long outstanding;

    /// <summary>Bytes held by live buffers of this allocator.</summary>
    public long OutstandingBytes => Interlocked.Read(ref outstanding);

    public override IMemoryOwner<T> Allocate<T>(int length, AllocationOptions options = AllocationOptions.None)
    {
        if (length < 0)
        {
            throw new InvalidMemoryOperationException(
                string.Create(CultureInfo.InvariantCulture, $"Attempted to allocate a buffer of negative length={length}."));
        }

        var bytes = (long)length * Unsafe.SizeOf<T>();
        if (bytes > bufferLimitBytes)
        {
            throw new InvalidMemoryOperationException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Attempted to allocate a buffer of length={bytes} that exceeded the limit {bufferLimitBytes}."));
        }

        var total = Interlocked.Add(ref outstanding, bytes);
        if (total > limitBytes)
        {
            Interlocked.Add(ref outstanding, -bytes);
            throw new InvalidMemoryOperationException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Attempted to hold {total} bytes of image buffers at once, over the limit {limitBytes}."));
        }

        try
        {
            return new Owner<T>(inner.Allocate<T>(length, options), this, bytes);
        }
        catch
        {
            Interlocked.Add(ref outstanding, -bytes);
            throw;
        }
    }

    public override void ReleaseRetainedResources() => inner.ReleaseRetainedResources();

    protected override int GetBufferCapacityInBytes() => bufferCapacityBytes;

    private sealed class Owner<T>(IMemoryOwner<T> buffer, BoundedMemoryAllocator allocator, long bytes) : IMemoryOwner<T>
    {
        private int disposed;

        public Memory<T> Memory => buffer.Memory;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                buffer.Dispose();
                Interlocked.Add(ref allocator.outstanding, -bytes);
            }
        }
    }
}
