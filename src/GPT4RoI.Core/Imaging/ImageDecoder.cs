using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GPT4RoI.Core.Imaging;

/// <summary>
/// Decodes untrusted image bytes (JPEG, PNG, WebP, BMP, GIF) into an EXIF-oriented RGB image, as the
/// reference does (PIL: open, <c>exif_transpose</c>, <c>convert("RGB")</c>). Order of checks: empty and byte
/// cap, header-only identify (format and dimensions, nothing decoded), then a decode whose buffers are
/// capped by <see cref="ImageLimits.AllocationLimitMegabytes"/>. Multi-frame GIFs give their first frame;
/// animated WebP is rejected. Every failure is an <see cref="ImageInputException"/>.
/// </summary>
public static class ImageDecoder
{
    private const int BufferCapacityBytes = 4 * 1024 * 1024;

    private static readonly ConcurrentDictionary<int, MemoryAllocator> Allocators = new();

    /// <summary>Lossless WebP decodes, one at a time: ImageSharp's VP8L decoder allocates without a bound (<see cref="ImageLimits.AllowLosslessWebp"/>).</summary>
    private static readonly SemaphoreSlim LosslessWebp = new(1, 1);
    private static readonly ConcurrentDictionary<(int AllocationLimit, bool IgnoreMetadata), Configuration> Configurations = new();

    /// <summary>Reads at most <see cref="ImageLimits.MaxBytes"/> bytes from a stream and decodes them.</summary>
    /// <exception cref="ImageInputException">The input is empty, too large, unsupported or corrupt.</exception>
    public static DecodedImage Decode(Stream stream, string source, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        limits ??= ImageLimits.Default;
        limits.Validate();

        if (stream.CanSeek && stream.Length - stream.Position > limits.MaxBytes)
        {
            throw TooLarge(source, (stream.Length - stream.Position).ToString(CultureInfo.InvariantCulture), limits);
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > limits.MaxBytes)
                {
                    throw TooLarge(source, "more than " + limits.MaxBytes.ToString(CultureInfo.InvariantCulture), limits);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return Decode(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), source, limits);
    }

    /// <summary>Decodes encoded image bytes.</summary>
    /// <param name="data">The encoded image (file contents).</param>
    /// <param name="source">Name of the input used in error messages, e.g. its file name.</param>
    /// <param name="limits">Limits; <see cref="ImageLimits.Default"/> when null.</param>
    /// <exception cref="ImageInputException">The input is empty, too large, unsupported or corrupt.</exception>
    public static DecodedImage Decode(ReadOnlyMemory<byte> data, string source, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= ImageLimits.Default;
        limits.Validate();
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.ImageDecodeSpan);
        span?.SetTag("gpt4roi.image.bytes", data.Length);
        try
        {
            var image = DecodeChecked(data, source, limits);
            span?.SetTag("gpt4roi.image.format", image.Format);
            span?.SetTag("gpt4roi.image.width", image.Width);
            span?.SetTag("gpt4roi.image.height", image.Height);
            return image;
        }
        catch (Gpt4RoIException ex) when (span is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, ex.Code.ToString());
            throw;
        }
    }

    /// <summary>The checks and the decode of <see cref="Decode(ReadOnlyMemory{byte}, string, ImageLimits?)"/>.</summary>
    private static DecodedImage DecodeChecked(ReadOnlyMemory<byte> data, string source, ImageLimits limits)
    {

        if (data.IsEmpty)
        {
            throw new ImageInputException(source, ImageInputReason.Empty, "image is empty (0 bytes)");
        }

        if (data.Length > limits.MaxBytes)
        {
            throw TooLarge(source, data.Length.ToString(CultureInfo.InvariantCulture), limits);
        }

        // Metadata is measured before ImageSharp sees it (ImageSharp inflates PNG text and joins JPEG segments
        // in Identify already); over the budget it is ignored, the EXIF orientation then read by the scan.
        var detected = Image.DetectFormat(Configurations.GetOrAdd((limits.AllocationLimitMegabytes, false), CreateConfiguration), data.Span);
        var detectedName = detected is null ? null : FormatName(detected);
        var ignoreMetadata = detectedName is "gif" or "webp"
            || (detectedName is not null && ImageMetadataScan.ExceedsBudget(data, detectedName, limits.MaxMetadataBytes));

        // ImageSharp 2.1's BMP reader allocates the palette (up to the pixel data offset, which the file gives)
        // before it checks that offset against the file: a 556-byte file allocated 1.3 GB in Identify (fuzzing).
        if (detectedName == "bmp" && !BmpPixelOffsetInside(data.Span))
        {
            throw new ImageInputException(source, ImageInputReason.Corrupt, "BMP pixel data offset lies beyond the end of the file");
        }

        // Checked before Identify, which already runs ImageSharp's WebP code.
        var losslessWebp = detectedName == "webp" && ImageMetadataScan.HasLosslessWebpData(data.Span);
        if (losslessWebp && !limits.AllowLosslessWebp)
        {
            throw Unsupported(source, "lossless WebP is not accepted by this service", null);
        }

        if (losslessWebp)
        {
            LosslessWebp.Wait();
        }

        try
        {
            return DecodeDetected(data, source, limits, ignoreMetadata);
        }
        finally
        {
            if (losslessWebp)
            {
                LosslessWebp.Release();
            }
        }
    }

    /// <summary>Identify (format and size, nothing decoded), the limits and truncation checks, then the decode.</summary>
    private static DecodedImage DecodeDetected(ReadOnlyMemory<byte> data, string source, ImageLimits limits, bool ignoreMetadata)
    {
        var configuration = ForDecode(limits, ignoreMetadata);
        using var stream = AsStream(data);

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(configuration, stream, out format);
        }
        catch (Exception ex) when (IsDecoderFailure(ex))
        {
            throw Map(source, ex, limits);
        }

        if (info is null || format is null)
        {
            throw Unsupported(source, "not an image in a supported format (JPEG, PNG, WebP, BMP, GIF)", null);
        }

        var formatName = FormatName(format);
        CheckDimensions(source, info.Width, info.Height, limits);
        if (formatName == "webp" && IsAnimatedWebp(data.Span))
        {
            throw Unsupported(source, "animated WebP is not supported", null);
        }

        // ImageSharp fills a truncated JPEG scan, or PNG image data cut at a chunk boundary, with flat colour
        // and reports no error; the reference (PIL) rejects such files.
        if ((formatName == "jpeg" && !JpegReachesEnd(data.Span)) || (formatName == "png" && !PngReachesEnd(data.Span)))
        {
            throw new ImageInputException(
                source, ImageInputReason.Corrupt, $"{format.Name} data is truncated (no end-of-image marker)");
        }

        // Subsampled YCbCr JPEGs are decoded with the colour transform off and converted as libjpeg-turbo does,
        // in the stored orientation (the chroma grid is that of the stored image), before AutoOrient.
        var chroma = formatName == "jpeg" ? JpegChromaUpsampling.TryCreate(data.Span) : null;
        byte[]? rawYcc = null;
        Image<Rgb24>? image = null;
        try
        {
            if (chroma is null)
            {
                stream.Position = 0;
                image = Image.Load<Rgb24>(configuration, stream);
            }
            else
            {
                var length = chroma.RawYccLength(data.Length);
                rawYcc = ArrayPool<byte>.Shared.Rent(length);
                chroma.WriteRawYccJpeg(data.Span, rawYcc);
                using (var rawStream = new MemoryStream(rawYcc, 0, length, writable: false))
                {
                    image = Image.Load<Rgb24>(configuration, rawStream);
                }

                chroma.ConvertInPlace(image);
            }

            if (ignoreMetadata && formatName is "jpeg" or "png" or "webp")
            {
                var orientation = ImageMetadataScan.Orientation(data.Span, formatName);
                if (orientation > 1)
                {
                    image.Metadata.ExifProfile = new ExifProfile();
                    image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
                }
            }

            while (image.Frames.Count > 1)
            {
                image.Frames.RemoveFrame(image.Frames.Count - 1);
            }

            image.Mutate(x => x.AutoOrient());
            var result = new DecodedImage(image, formatName, Convert.ToHexStringLower(SHA256.HashData(data.Span)));
            image = null;
            return result;
        }
        catch (Exception ex) when (IsDecoderFailure(ex))
        {
            throw Map(source, ex, limits);
        }
        finally
        {
            image?.Dispose();
            if (rawYcc is not null)
            {
                ArrayPool<byte>.Shared.Return(rawYcc);
            }
        }
    }

    /// <summary>A configuration for one decode: the shared decoders and pool, with this decode's total memory capped.</summary>
    private static Configuration ForDecode(ImageLimits limits, bool ignoreMetadata)
    {
        var shared = Configurations.GetOrAdd((limits.AllocationLimitMegabytes, ignoreMetadata), CreateConfiguration);
        var configuration = shared.Clone();
        configuration.MemoryAllocator = new BoundedMemoryAllocator(
            shared.MemoryAllocator,
            limits.DecodeMemoryLimitMegabytes * 1024L * 1024L,
            limits.AllocationLimitMegabytes * 1024L * 1024L,
            (int)Math.Min(BufferCapacityBytes, limits.AllocationLimitMegabytes * 1024L * 1024L));
        return configuration;
    }

    private static Configuration CreateConfiguration((int AllocationLimit, bool IgnoreMetadata) key)
    {
        var configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule())
        {
            MemoryAllocator = Allocators.GetOrAdd(
                key.AllocationLimit,
                limit => MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = limit })),
        };
        configuration.ImageFormatsManager.SetDecoder(
            GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First, IgnoreMetadata = true });
        if (key.IgnoreMetadata)
        {
            configuration.ImageFormatsManager.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
            configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
            configuration.ImageFormatsManager.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = true });
        }

        return configuration;
    }

    /// <summary>The media type of a JPEG, PNG, WebP, BMP or GIF image, from its first bytes (e.g. <c>image/png</c>);
    /// null for anything else. Nothing is decoded.</summary>
    public static string? ContentTypeOf(ReadOnlySpan<byte> data) => FormatOf(data) switch
    {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "gif" => "image/gif",
        _ => null,
    };

    private static string? FormatOf(ReadOnlySpan<byte> data) =>
        data.Length == 0 || Image.DetectFormat(Configurations.GetOrAdd((ImageLimits.Default.AllocationLimitMegabytes, false), CreateConfiguration), data) is not { } format
            ? null
            : FormatName(format);

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static string FormatName(IImageFormat format) => format switch
    {
        JpegFormat => "jpeg",
        PngFormat => "png",
        WebpFormat => "webp",
        BmpFormat => "bmp",
        GifFormat => "gif",
        _ => format.Name,
    };

    private static void CheckDimensions(string source, int width, int height, ImageLimits limits)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageInputException(
                source, ImageInputReason.Corrupt, string.Create(CultureInfo.InvariantCulture, $"image header gives an invalid size {width}x{height}"));
        }

        var pixels = (long)width * height;
        if (pixels > limits.MaxPixels)
        {
            throw new ImageInputException(
                source,
                ImageInputReason.TooManyPixels,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"image is {width}x{height} ({pixels / 1e6:0.0} megapixels); the limit is {limits.MaxPixels / 1e6:0.###} megapixels"));
        }

        if (width > limits.MaxSide || height > limits.MaxSide)
        {
            throw new ImageInputException(
                source,
                ImageInputReason.TooManyPixels,
                string.Create(CultureInfo.InvariantCulture, $"image is {width}x{height}; the limit is {limits.MaxSide} pixels per side"));
        }
    }

    /// <summary>VP8X header with the animation flag: "RIFF" size "WEBP" "VP8X" size flags.</summary>
    private static bool IsAnimatedWebp(ReadOnlySpan<byte> data) =>
        data.Length > 20 && data.Slice(12, 4).SequenceEqual("VP8X"u8) && (data[20] & 0x02) != 0;

    /// <summary>
    /// Whether JPEG data reaches its end-of-image marker: marker segments are skipped by their length, scan
    /// data is searched for the next marker (FF00 stuffing and RSTn are part of the scan).
    /// </summary>
    internal static bool JpegReachesEnd(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return false;
        }

        var i = 2;
        while (i + 1 < data.Length)
        {
            if (data[i] != 0xFF)
            {
                i++;
                continue;
            }

            var marker = data[i + 1];
            switch (marker)
            {
                case 0xD9:
                    return true;
                case 0xFF:
                    i++;
                    break;
                case 0x00 or 0x01 or (>= 0xD0 and <= 0xD7):
                    i += 2;
                    break;
                default:
                    if (i + 3 >= data.Length)
                    {
                        return false;
                    }

                    var length = (data[i + 2] << 8) | data[i + 3];
                    if (length < 2)
                    {
                        return false;
                    }

                    i += 2 + length;
                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a BMP's pixel data offset (file header bytes 10–13; after the 14-byte array header of an OS/2 bitmap
    /// array) lies inside the data. A short header is left to the decoder to report.
    /// </summary>
    internal static bool BmpPixelOffsetInside(ReadOnlySpan<byte> data)
    {
        var header = data.StartsWith("BA"u8) ? 14 : 0;
        return data.Length < header + 14 || BinaryPrimitives.ReadUInt32LittleEndian(data[(header + 10)..]) <= (uint)data.Length;
    }

    /// <summary>Whether PNG data holds complete chunks up to its IEND chunk (lengths only; CRCs are the decoder's job).</summary>
    internal static bool PngReachesEnd(ReadOnlySpan<byte> data)
    {
        long i = 8;
        while (i + 8 <= data.Length)
        {
            var chunk = data[(int)i..];
            if (chunk.Slice(4, 4).SequenceEqual("IEND"u8))
            {
                return i + 12 <= data.Length;
            }

            i += 12L + BinaryPrimitives.ReadUInt32BigEndian(chunk);
        }

        return false;
    }

    /// <summary>
    /// What ImageSharp throws on bad input. Besides its own exceptions, fuzzing found NullReferenceException (JPEG
    /// Identify and colour conversion, WebP dimensions, BMP palettes and RLE), DivideByZeroException (BMP) and
    /// ZLibException (an IOException, PNG): decoder bugs on malformed files, reported as a corrupt image.
    /// </summary>
    private static bool IsDecoderFailure(Exception ex) =>
        ex is ImageFormatException or InvalidMemoryOperationException or NotSupportedException
            or IOException or InvalidDataException or IndexOutOfRangeException or ArgumentException
            or InvalidOperationException or OverflowException or NullReferenceException or DivideByZeroException;

    private static ImageInputException Map(string source, Exception ex, ImageLimits limits) => ex switch
    {
        // Decoders wrap allocation failures in InvalidImageContentException.
        InvalidMemoryOperationException or { InnerException: InvalidMemoryOperationException } => new ImageInputException(
            source,
            ImageInputReason.TooLarge,
            string.Create(
                CultureInfo.InvariantCulture,
                $"decoding needs more memory than the limits allow ({limits.AllocationLimitMegabytes} MB per buffer, {limits.DecodeMemoryLimitMegabytes} MB in all) ({ex.Message})"),
            ex),
        UnknownImageFormatException => Unsupported(source, "not an image in a supported format (JPEG, PNG, WebP, BMP, GIF)", ex),
        NotSupportedException => Unsupported(source, $"image uses an unsupported feature ({ex.Message})", ex),
        NullReferenceException or DivideByZeroException => new ImageInputException(
            source, ImageInputReason.Corrupt, "image data is corrupt (the decoder failed on it)", ex),
        _ => new ImageInputException(source, ImageInputReason.Corrupt, $"image data is corrupt or truncated ({ex.Message})", ex),
    };

    private static ImageInputException Unsupported(string source, string detail, Exception? ex) =>
        new(source, ImageInputReason.UnsupportedFormat, detail, ex);

    private static ImageInputException TooLarge(string source, string size, ImageLimits limits) =>
        new(
            source,
            ImageInputReason.TooLarge,
            string.Create(CultureInfo.InvariantCulture, $"image is {size} bytes; the limit is {limits.MaxBytes} bytes"));
}
