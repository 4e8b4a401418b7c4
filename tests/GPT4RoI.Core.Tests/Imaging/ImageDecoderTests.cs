using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using GPT4RoI.Core.Imaging;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Tests.Imaging;

public class ImageDecoderTests
{
    private static byte[] Golden(string caseName, string file) =>
        File.ReadAllBytes(Path.Combine(RepoPaths.GoldenDir, caseName, file));

    private static ImageInputException Rejected(byte[] data, string source, ImageLimits? limits = null) =>
        Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(data, source, limits).Dispose());

    [Fact]
    public void Decode_GoldenPng_ReturnsSizeFormatAndHash()
    {
        var bytes = Golden("01_one_region_png", "image.png");

        using var image = ImageDecoder.Decode(bytes, "image.png");

        Assert.Equal(235, image.Width);
        Assert.Equal(506, image.Height);
        Assert.Equal("png", image.Format);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), image.Sha256);
    }

    [Fact]
    public void Decode_ExifOrientation6_SwapsWidthAndHeight()
    {
        using var image = ImageDecoder.Decode(Golden("08_exif_rotated_jpeg", "image.jpg"), "image.jpg");

        // Stored 265x213 with orientation 6 (rotate 90° clockwise).
        Assert.Equal((213, 265), (image.Width, image.Height));
        Assert.Equal("jpeg", image.Format);
    }

    [Fact]
    public void Decode_Stream_MatchesMemoryDecode()
    {
        var bytes = Golden("02_two_regions", "image.png");
        using var stream = new MemoryStream(bytes);

        using var image = ImageDecoder.Decode(stream, "image.png");

        Assert.Equal((551, 357), (image.Width, image.Height));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), image.Sha256);
    }

    [Theory]
    [InlineData("01_one_region_png", "image.png")]
    [InlineData("04_nonsquare_jpeg", "image.jpg")]
    public void Decode_TruncatedFile_ThrowsCorrupt(string caseName, string file)
    {
        var bytes = Golden(caseName, file);

        var ex = Rejected(bytes[..(bytes.Length / 2)], file);

        Assert.Equal(ImageInputReason.Corrupt, ex.Reason);
        Assert.StartsWith(file + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_PngCutAtChunkBoundary_ThrowsCorrupt()
    {
        // Noise does not compress, so the encoder writes several IDAT chunks; keep the first one only.
        var random = new Random(1);
        using var source = new Image<Rgb24>(300, 300);
        source.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.GetRowSpan(y)));
            }
        });
        var png = TestImages.Encode(source, new PngEncoder());
        var offset = 8;
        var idats = 0;
        while (idats == 0 || !png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8))
        {
            idats += png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8) ? 1 : 0;
            offset += 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
        }

        var ex = Rejected(png[..offset], "noise.png");

        Assert.Equal(ImageInputReason.Corrupt, ex.Reason);
        Assert.Equal("noise.png: PNG data is truncated (no end-of-image marker)", ex.Message);
    }

    [Fact]
    public void Decode_TextBytes_ThrowsUnsupportedFormat()
    {
        var ex = Rejected("hello, this is not an image\n"u8.ToArray(), "notes.txt");

        Assert.Equal(ImageInputReason.UnsupportedFormat, ex.Reason);
        Assert.Contains("notes.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ZeroBytes_ThrowsEmpty()
    {
        var ex = Rejected([], "empty.png");

        Assert.Equal(ImageInputReason.Empty, ex.Reason);
        Assert.Equal("empty.png: image is empty (0 bytes)", ex.Message);
    }

    [Fact]
    public void Decode_PngBomb20000Square_ThrowsTooManyPixelsWithoutDecoding()
    {
        var bomb = TestImages.PatchPngSize(TestImages.SolidPng(1, 1, new Rgb24(1, 2, 3)), 20000, 20000);
        var watch = Stopwatch.StartNew();

        var ex = Rejected(bomb, "photo.png");

        Assert.Equal(ImageInputReason.TooManyPixels, ex.Reason);
        Assert.Equal("photo.png: image is 20000x20000 (400.0 megapixels); the limit is 40 megapixels", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Decode_SideOverLimit_ThrowsTooManyPixels()
    {
        var wide = TestImages.PatchPngSize(TestImages.SolidPng(1, 1, new Rgb24(1, 2, 3)), 20000, 10);

        var ex = Rejected(wide, "wide.png");

        Assert.Equal(ImageInputReason.TooManyPixels, ex.Reason);
        Assert.Equal("wide.png: image is 20000x10; the limit is 16384 pixels per side", ex.Message);
    }

    [Fact]
    public void Decode_OverByteCap_ThrowsTooLarge()
    {
        var bytes = Golden("01_one_region_png", "image.png");
        var limits = new ImageLimits { MaxBytes = 1000 };

        var ex = Rejected(bytes, "big.png", limits);

        Assert.Equal(ImageInputReason.TooLarge, ex.Reason);
        Assert.Equal($"big.png: image is {bytes.Length} bytes; the limit is 1000 bytes", ex.Message);
    }

    [Fact]
    public void Decode_NonSeekableStreamOverByteCap_ThrowsTooLarge()
    {
        var bytes = Golden("01_one_region_png", "image.png");
        using var stream = new NonSeekableStream(bytes);

        var ex = Assert.Throws<ImageInputException>(
            () => ImageDecoder.Decode(stream, "upload", new ImageLimits { MaxBytes = 1000 }).Dispose());

        Assert.Equal(ImageInputReason.TooLarge, ex.Reason);
        Assert.Equal("upload: image is more than 1000 bytes; the limit is 1000 bytes", ex.Message);
    }

    [Fact]
    public void Decode_OverAllocationLimit_ThrowsTooLarge()
    {
        // The lossless WebP decoder holds a 4000x4000 image in one 64 MB buffer; a 16 MB single-allocation cap must
        // stop it cleanly. (Pixel buffers come in 4 MB pieces: their sum is DecodeMemoryLimitMegabytes' job.)
        using var source = new Image<Rgb24>(4000, 4000, new Rgb24(9, 9, 9));
        var bytes = TestImages.Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });

        var ex = Rejected(bytes, "big.png", new ImageLimits { AllocationLimitMegabytes = 16 });

        Assert.Equal(ImageInputReason.TooLarge, ex.Reason);
    }

    [Fact]
    public void Decode_TwoFrameGif_UsesFirstFrame()
    {
        using var gif = new Image<Rgb24>(8, 6, new Rgb24(255, 0, 0));
        using (var second = new Image<Rgb24>(8, 6, new Rgb24(0, 0, 255)))
        {
            gif.Frames.AddFrame(second.Frames.RootFrame);
        }

        Assert.Equal(2, gif.Frames.Count);
        var bytes = TestImages.Encode(gif, new GifEncoder());

        using var image = ImageDecoder.Decode(bytes, "anim.gif");

        Assert.Equal("gif", image.Format);
        Assert.Equal(1, image.Image.Frames.Count);
        Assert.Equal((8, 6), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image.Image[3, 3]);
    }

    [Fact]
    public void Decode_Bmp_ReturnsPixels()
    {
        using var source = new Image<Rgb24>(5, 3, new Rgb24(10, 20, 30));
        source[4, 2] = new Rgb24(200, 100, 50);

        using var image = ImageDecoder.Decode(TestImages.Encode(source, new BmpEncoder()), "x.bmp");

        Assert.Equal("bmp", image.Format);
        Assert.Equal((5, 3), (image.Width, image.Height));
        Assert.Equal(new Rgb24(10, 20, 30), image.Image[0, 0]);
        Assert.Equal(new Rgb24(200, 100, 50), image.Image[4, 2]);
    }

    [Fact]
    public void Decode_LosslessWebp_ReturnsPixels()
    {
        using var source = new Image<Rgb24>(7, 4, new Rgb24(10, 20, 30));
        source[6, 3] = new Rgb24(200, 100, 50);

        using var image = ImageDecoder.Decode(
            TestImages.Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }), "x.webp");

        Assert.Equal("webp", image.Format);
        Assert.Equal((7, 4), (image.Width, image.Height));
        Assert.Equal(new Rgb24(10, 20, 30), image.Image[0, 0]);
        Assert.Equal(new Rgb24(200, 100, 50), image.Image[6, 3]);
    }

    [Fact]
    public void Decode_AnimatedWebpHeader_ThrowsUnsupportedFormat()
    {
        // RIFF/WEBP with a VP8X chunk whose animation flag (0x02) is set, canvas 16x16, then an empty ANIM chunk.
        byte[] vp8x = [.. "VP8X"u8, 10, 0, 0, 0, 0x02, 0, 0, 0, 15, 0, 0, 15, 0, 0];
        byte[] anim = [.. "ANIM"u8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] body = [.. "WEBP"u8, .. vp8x, .. anim];
        byte[] webp = [.. "RIFF"u8, (byte)body.Length, 0, 0, 0, .. body];

        var ex = Rejected(webp, "anim.webp");

        Assert.Equal(ImageInputReason.UnsupportedFormat, ex.Reason);
    }

    [Fact]
    public void Validate_NonPositiveLimits_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { MaxBytes = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { MaxPixels = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { MaxSide = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { AllocationLimitMegabytes = 0 }.Validate());
        ImageLimits.Default.Validate();
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
