using System.Globalization;
using GPT4RoI.Core.Imaging;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Imaging;

/// <summary>
/// Subsampled JPEG decode against libjpeg-turbo (PIL): fixtures made by models/tools/make_jpeg_fixtures.py, each a
/// PIL-written JPEG and the RGB PIL decodes from it (PNG).
/// </summary>
public sealed class JpegChromaUpsamplingTests(ITestOutputHelper output)
{
    private static string Fixture(string file) =>
        Path.Combine(RepoPaths.Root, "tests", "GPT4RoI.Core.Tests", "Imaging", "TestData", file);

    private static byte[] InsertSegment(byte[] jpeg, byte[] segment) => [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];

    private static byte[] AdobeSegment(byte transform) =>
        [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0, 0, 0, 0, transform];

    private static (int Max, double Mean) Compare(Image<Rgb24> actual, Image<Rgb24> expected)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        var max = 0;
        long sum = 0;
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                Rgb24 a = actual[x, y], e = expected[x, y];
                foreach (var d in (ReadOnlySpan<int>)[Math.Abs(a.R - e.R), Math.Abs(a.G - e.G), Math.Abs(a.B - e.B)])
                {
                    max = Math.Max(max, d);
                    sum += d;
                }
            }
        }

        return (max, sum / (3.0 * expected.Width * expected.Height));
    }

    [Theory]
    [InlineData("jpeg420")]
    [InlineData("jpeg422")]
    [InlineData("jpeg420_narrow")]
    public void Decode_PilSubsampledJpeg_MatchesPilWithinIdctRounding(string name)
    {
        var bytes = File.ReadAllBytes(Fixture(name + ".jpg"));
        using var expected = Image.Load<Rgb24>(Fixture(name + ".expected.png"));
        using var plain = Image.Load<Rgb24>(bytes);

        using var decoded = ImageDecoder.Decode(bytes, name + ".jpg");

        var before = Compare(plain, expected);
        var after = Compare(decoded.Image, expected);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name}: ImageSharp alone max {before.Max} mean {before.Mean:F4}; corrected max {after.Max} mean {after.Mean:F4}"));

        // What is left is ImageSharp's float IDCT against libjpeg's islow: ±1 in Y, Cb or Cr on ~2% of samples,
        // up to ±3 in RGB after colour conversion.
        Assert.True(after.Max <= 3, $"max {after.Max}");
        Assert.True(after.Mean <= 0.1, $"mean {after.Mean}");
    }

    [Theory]
    [InlineData("jpeg420", 2, 2)]
    [InlineData("jpeg422", 2, 1)]
    public void TryCreate_SubsampledJpeg_ReturnsLumaSampling(string name, int horizontal, int vertical)
    {
        var plan = JpegChromaUpsampling.TryCreate(File.ReadAllBytes(Fixture(name + ".jpg")));

        Assert.NotNull(plan);
        Assert.Equal((horizontal, vertical), plan.Sampling);
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    public void TryCreate_FullResolutionOrGrayJpeg_ReturnsNull(JpegColorType colorType)
    {
        using var image = new Image<Rgb24>(20, 12, new Rgb24(200, 30, 90));
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { ColorType = colorType, Quality = 90 });

        Assert.Null(JpegChromaUpsampling.TryCreate(stream.ToArray()));
    }

    [Fact]
    public void TryCreate_AdobeMarkerWithoutColourTransform_ReturnsNull()
    {
        var bytes = InsertSegment(File.ReadAllBytes(Fixture("jpeg420.jpg")), AdobeSegment(0));

        Assert.Null(JpegChromaUpsampling.TryCreate(bytes));
    }

    [Fact]
    public void TryCreate_NotJpeg_ReturnsNull() =>
        Assert.Null(JpegChromaUpsampling.TryCreate(File.ReadAllBytes(Fixture("jpeg420.expected.png"))));

    [Fact]
    public void Decode_AdobeYCbCrMarker_DecodesLikeWithout()
    {
        var bytes = File.ReadAllBytes(Fixture("jpeg420.jpg"));
        using var reference = ImageDecoder.Decode(bytes, "jpeg420.jpg");

        using var withAdobe = ImageDecoder.Decode(InsertSegment(bytes, AdobeSegment(1)), "adobe.jpg");

        Assert.Equal((0, 0.0), Compare(withAdobe.Image, reference.Image));
    }
}
