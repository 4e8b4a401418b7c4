using System.Globalization;

namespace GPT4RoI.Core.Imaging;

/// <summary>Limits applied by <see cref="ImageDecoder"/> before and while decoding untrusted image bytes.</summary>
public sealed record ImageLimits
{
    /// <summary>Limits with the default values.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted encoded size in bytes (default 20 MiB).</summary>
    public long MaxBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Largest accepted width × height of the image (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Largest accepted width or height in pixels (default 16384).</summary>
    public int MaxSide { get; init; } = 16384;

    /// <summary>
    /// Largest single buffer the decoder may allocate, in megabytes (default 512). Pixel buffers come in pieces of
    /// at most 4 MB; their sum is bounded by <see cref="DecodeMemoryLimitMegabytes"/>.
    /// </summary>
    public int AllocationLimitMegabytes { get; init; } = 512;

    /// <summary>
    /// Most memory the decoder's buffers may hold at once for one image, in megabytes (default 1024): the
    /// pixels, the decoder's working buffers and the EXIF re-orientation together.
    /// </summary>
    public int DecodeMemoryLimitMegabytes { get; init; } = 1024;

    /// <summary>
    /// Most bytes of metadata (EXIF, ICC, XMP, Photoshop and PNG text, compressed text counted inflated) read
    /// from one image (default 1 MiB). Past it the metadata is ignored, except the EXIF orientation, which is
    /// read from the first EXIF block without inflating or copying anything.
    /// </summary>
    public int MaxMetadataBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Whether WebP images with lossless (VP8L) data, the image or its alpha, are decoded (default true). ImageSharp
    /// 2.1's VP8L decoder sizes its Huffman tables from the file without a bound: a 142-byte file took 18 s and
    /// 1.3 GB (docs/security.md). Such decodes run one at a time per process; false refuses them
    /// (<see cref="ImageInputReason.UnsupportedFormat"/>).
    /// </summary>
    public bool AllowLosslessWebp { get; init; } = true;

    /// <summary>Checks that every limit is positive and usable.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero, negative or too large.</exception>
    public void Validate()
    {
        if (MaxBytes <= 0 || MaxBytes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxBytes), MaxBytes, $"MaxBytes must be between 1 and {Array.MaxLength.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (MaxPixels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "MaxPixels must be positive.");
        }

        if (MaxSide <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSide), MaxSide, "MaxSide must be positive.");
        }

        if (AllocationLimitMegabytes <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(AllocationLimitMegabytes), AllocationLimitMegabytes, "AllocationLimitMegabytes must be positive.");
        }

        if (DecodeMemoryLimitMegabytes <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(DecodeMemoryLimitMegabytes), DecodeMemoryLimitMegabytes, "DecodeMemoryLimitMegabytes must be positive.");
        }

        if (MaxMetadataBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMetadataBytes), MaxMetadataBytes, "MaxMetadataBytes must not be negative.");
        }
    }
}
