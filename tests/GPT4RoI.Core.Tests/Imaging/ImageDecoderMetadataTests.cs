using GPT4RoI.Core.Imaging;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Tests.Imaging;

[Collection(AllocationMeasured.Name)]
public class ImageDecoderMetadataTests
{
    /// <summary>Well above what a decode of these small images allocates, far below the inflated metadata.</summary>
    private const long AllocationBound = 48L * 1024 * 1024;

    private const long BombBytes = 200L * 1024 * 1024;

    private static byte[] Golden(string caseName, string file) =>
        File.ReadAllBytes(Path.Combine(RepoPaths.GoldenDir, caseName, file));

    private static (DecodedImage Image, long Allocated) DecodeMeasured(byte[] data, string source, ImageLimits? limits = null)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var image = ImageDecoder.Decode(data, source, limits);
        return (image, GC.GetTotalAllocatedBytes(precise: true) - before);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Decode_PngTextChunkBomb_IgnoresMetadataWithBoundedAllocation(bool international)
    {
        var payload = TestImages.CompressedTextPayload(BombBytes, international);
        var png = TestImages.InsertPngChunk(
            TestImages.SolidPng(64, 48, new Rgb24(10, 200, 30)), international ? "iTXt" : "zTXt", payload);
        Assert.True(png.Length < 400_000, $"bomb is {png.Length} bytes");

        var (image, allocated) = DecodeMeasured(png, "bomb.png");
        using (image)
        {
            Assert.Equal((64, 48), (image.Width, image.Height));
            Assert.Equal(new Rgb24(10, 200, 30), image.Image[5, 5]);
        }

        Assert.True(allocated < AllocationBound, $"decoding allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_PngTextChunkBombWithExifOrientation_StillOrients()
    {
        var png = TestImages.SolidPng(64, 48, new Rgb24(1, 2, 3));
        png = TestImages.InsertPngChunk(png, "eXIf", TestImages.ExifOrientationBlock(6));
        png = TestImages.InsertPngChunk(png, "zTXt", TestImages.CompressedTextPayload(BombBytes, international: false));

        var (image, allocated) = DecodeMeasured(png, "bomb.png");
        using (image)
        {
            Assert.Equal((48, 64), (image.Width, image.Height));
        }

        Assert.True(allocated < AllocationBound, $"decoding allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_PngTextUnderBudget_KeepsImageSharpMetadataPath()
    {
        var png = TestImages.InsertPngChunk(
            TestImages.SolidPng(8, 8, new Rgb24(1, 2, 3)), "zTXt", TestImages.CompressedTextPayload(1000, international: false));

        Assert.False(ImageMetadataScan.ExceedsBudget(png, "png", ImageLimits.Default.MaxMetadataBytes));
        using var image = ImageDecoder.Decode(png, "small-text.png");
        Assert.Equal((8, 8), (image.Width, image.Height));
    }

    [Fact]
    public void Decode_JpegWithManyIccSegments_IgnoresMetadataWithBoundedAllocation()
    {
        // ImageSharp 2.1 joins ICC segments by copying the profile so far: 300 segments of 60 KB would copy ~2.7 GB.
        byte[] icc = [.. "ICC_PROFILE\0"u8, 1, 1, .. new byte[60_000]];
        var jpeg = TestImages.InsertJpegSegments(Golden("08_exif_rotated_jpeg", "image.jpg"), 0xE2, icc, 300);

        var (image, allocated) = DecodeMeasured(jpeg, "icc.jpg");
        using (image)
        {
            // The golden's EXIF orientation 6 still applies (stored 265x213).
            Assert.Equal((213, 265), (image.Width, image.Height));
        }

        Assert.True(allocated < AllocationBound, $"decoding allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_ExifJpegWithMetadataIgnored_MatchesImageSharpOrientation()
    {
        var bytes = Golden("08_exif_rotated_jpeg", "image.jpg");

        using var normal = ImageDecoder.Decode(bytes, "image.jpg");
        using var ignored = ImageDecoder.Decode(bytes, "image.jpg", new ImageLimits { MaxMetadataBytes = 0 });

        Assert.Equal((normal.Width, normal.Height), (ignored.Width, ignored.Height));
        for (var y = 0; y < normal.Height; y += 7)
        {
            for (var x = 0; x < normal.Width; x += 5)
            {
                Assert.Equal(normal.Image[x, y], ignored.Image[x, y]);
            }
        }
    }

    [Theory]
    [InlineData(3, 64, 48)]
    [InlineData(6, 48, 64)]
    [InlineData(8, 48, 64)]
    public void Decode_WebpExifWithMetadataIgnored_Orients(ushort orientation, int width, int height)
    {
        using var source = new Image<Rgb24>(64, 48, new Rgb24(4, 5, 6));
        source.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
        source.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, orientation);
        var webp = TestImages.Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });

        using var normal = ImageDecoder.Decode(webp, "x.webp");
        using var ignored = ImageDecoder.Decode(webp, "x.webp", new ImageLimits { MaxMetadataBytes = 0 });

        Assert.Equal((width, height), (normal.Width, normal.Height));
        Assert.Equal((width, height), (ignored.Width, ignored.Height));
    }

    [Fact]
    public void Decode_OverTotalDecodeMemory_ThrowsTooLarge()
    {
        // 4000x4000 RGB is ~46 MB in 4 MB buffers: no single buffer is over the 512 MB cap, the total is over 16 MB.
        var bytes = TestImages.SolidPng(4000, 4000, new Rgb24(9, 9, 9));

        var ex = Assert.Throws<ImageInputException>(
            () => ImageDecoder.Decode(bytes, "big.png", new ImageLimits { DecodeMemoryLimitMegabytes = 16 }).Dispose());

        Assert.Equal(ImageInputReason.TooLarge, ex.Reason);
        Assert.Contains("16 MB in all", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_JpegEncodedWithExif_SameWithAndWithoutMetadata()
    {
        using var source = new Image<Rgb24>(40, 30, new Rgb24(100, 50, 25));
        source.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
        source.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, (ushort)5);
        var jpeg = TestImages.Encode(source, new JpegEncoder { Quality = 95 });

        using var normal = ImageDecoder.Decode(jpeg, "x.jpg");
        using var ignored = ImageDecoder.Decode(jpeg, "x.jpg", new ImageLimits { MaxMetadataBytes = 0 });

        Assert.Equal((30, 40), (normal.Width, normal.Height));
        Assert.Equal((normal.Width, normal.Height), (ignored.Width, ignored.Height));
    }
}
