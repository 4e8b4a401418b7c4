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
    public void FuzzFindings_EveryFileHasATestCase()
    {
        var files = Directory.GetFiles(FindingsDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(10, files.Length);
    }
}
