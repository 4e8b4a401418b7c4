using GPT4RoI.Core.Imaging;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Imaging;

/// <summary>
/// Inputs the fuzzer (fuzz/GPT4RoI.Fuzz, image-* targets) found that made the decoder throw something other than an
/// <see cref="ImageInputException"/>; each must now be refused as bad input.
/// </summary>
public sealed class ImageDecoderFuzzFindingsTests
{
    private static string FindingsDir => Path.Combine(RepoPaths.Root, "tests", "GPT4RoI.Core.Tests", "Imaging", "FuzzFindings");

    [Theory]
    [InlineData("4bf1f46bf26e8e73.jpeg", "NullReferenceException in ImageDecoderUtilities.Identify")]
    [InlineData("76f485ec219617a4.jpeg", "NullReferenceException in JpegComponentPostProcessor.CopyBlocksToColorBuffer")]
    [InlineData("e39ec8cad839031d.jpeg", "NullReferenceException in JpegDecoderCore.Identify")]
    [InlineData("891ae53f7eed1546.webp", "NullReferenceException in WebpDecoderCore.Dimensions")]
    [InlineData("61a7606203048655.bmp", "DivideByZeroException in BmpDecoderCore.ReadRgbPalette")]
    [InlineData("c9e85a98b3872c4f.bmp", "DivideByZeroException in BmpDecoderCore.Decode")]
    [InlineData("c21f1dd821790f46.bmp", "NullReferenceException in BmpDecoderCore.ReadRgbPalette")]
    [InlineData("fbf66b14309bfb17.bmp", "NullReferenceException in BmpDecoderCore.Decode")]
    [InlineData("a432e63ce2411794.bmp", "NullReferenceException in BmpDecoderCore.ReadRle")]
    [InlineData("6d46e2a966e77454.png", "ZLibException in the PNG metadata scan (a broken zTXt stream)")]
    public void Decode_FuzzFinding_ThrowsImageInputException(string file, string before)
    {
        var data = File.ReadAllBytes(Path.Combine(FindingsDir, file));

        var ex = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(data, file).Dispose());

        Assert.StartsWith(file + ": ", ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(before));
    }

    [Fact]
    public void Decode_VP8LHuffmanGroupBombWithLosslessWebpRefused_ThrowsUnsupportedWithoutDecoding()
    {
        // Found by fuzzing (image-webp): 142 bytes that ImageSharp 2.1.13's VP8L decoder spends 18 s and 1.3 GB on
        // (its Huffman group count comes from the file, unbounded). Open: refused only when AllowLosslessWebp is off.
        var bomb = Convert.FromHexString(
            "524946467400000057454250565038580a000000080000001700000f00005650384c340000002f17c003004d00000100004b44f43f" +
            "b588520c78ff2331a069db48c7e08e3fe21f7f7484042924eb0a4498cc221291c8fa7c7c27455849465650384c1a00000049492a00" +
            "08000000010012e1f71b524946464346de51dc55ca010300010000000600000000000000");
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<ImageInputException>(
            () => ImageDecoder.Decode(bomb, "bomb.webp", new ImageLimits { AllowLosslessWebp = false }).Dispose());

        Assert.Equal(ImageInputReason.UnsupportedFormat, ex.Reason);
        Assert.Equal("bomb.webp: lossless WebP is not accepted by this service", ex.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024 * 1024);
    }

    [Fact]
    public void Decode_LosslessWebpRefused_LossyStillDecodes()
    {
        using var source = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(8, 8);
        var lossless = TestImages.Encode(source, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless });
        var lossy = TestImages.Encode(source, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossy });
        var limits = new ImageLimits { AllowLosslessWebp = false };

        Assert.Equal(
            ImageInputReason.UnsupportedFormat,
            Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(lossless, "a.webp", limits).Dispose()).Reason);
        using var image = ImageDecoder.Decode(lossy, "b.webp", limits);
        Assert.Equal((8, 8), (image.Width, image.Height));
    }

    [Fact]
    public void Decode_BmpPixelOffsetBeyondTheFile_RefusedBeforeImageSharpAllocatesThePalette()
    {
        // Found by fuzzing (image-bmp, "slow" at random): the file header puts the pixel data 1.3 GB in, and ImageSharp
        // 2.1.13 allocated a palette of that size (in Identify) before checking the offset against the file.
        var data = File.ReadAllBytes(Path.Combine(FindingsDir, "c0fded3f2ab49330.bmp"));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(data, "x.bmp").Dispose());

        Assert.Equal(ImageInputReason.Corrupt, ex.Reason);
        Assert.Equal("x.bmp: BMP pixel data offset lies beyond the end of the file", ex.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024 * 1024);
    }

    [Fact]
    public void Decode_WebpMetadataChunkDeclaringGigabytes_IgnoredWithoutAllocatingIt()
    {
        // Found by fuzzing (image-webp, "slow" at random): a VP8X file whose ICCP chunk declares about a gigabyte;
        // ImageSharp 2.1.13 allocated the declared size before finding the file too short.
        var data = File.ReadAllBytes(Path.Combine(FindingsDir, "31ca4a0e9593a008.webp"));
        var before = GC.GetAllocatedBytesForCurrentThread();

        // WebP metadata is never read by ImageSharp now. The file also holds VP8L data (the open finding), found by the
        // search although its chunk walk hides it behind an oversized VP8X chunk.
        Assert.True(ImageMetadataScan.HasLosslessWebpData(data));
        var ex = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(data, "x.webp", new ImageLimits { AllowLosslessWebp = false }).Dispose());
        Assert.Equal(ImageInputReason.UnsupportedFormat, ex.Reason);

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024 * 1024);
    }

    [Fact]
    public void FuzzFindings_EveryFileHasATestCase()
    {
        var files = Directory.GetFiles(FindingsDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(12, files.Length);
    }
}
