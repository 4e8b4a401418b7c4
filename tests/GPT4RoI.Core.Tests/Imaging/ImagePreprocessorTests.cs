using GPT4RoI.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Tests.Imaging;

public class ImagePreprocessorTests
{
    private static readonly PreprocessSettings Settings = new(4, [0.5f, 0.25f, 0f], [0.5f, 0.25f, 1f]);

    [Fact]
    public void WritePixels_SameSize_NormalisesEachChannelPlanar()
    {
        using var image = new Image<Rgb24>(4, 4, new Rgb24(255, 0, 51));
        image[2, 1] = new Rgb24(0, 255, 102);
        var output = new float[Settings.ElementCount];

        ImagePreprocessor.WritePixels(image, Settings, output);

        Assert.Equal(1f, output[0]);                      // R: (1 - 0.5) / 0.5
        Assert.Equal(-1f, output[16]);                    // G: (0 - 0.25) / 0.25
        Assert.Equal(51f / 255f, output[32]);             // B: 0.2
        Assert.Equal(-1f, output[(1 * 4) + 2]);           // R at (y=1, x=2)
        Assert.Equal(3f, output[16 + (1 * 4) + 2]);       // G at (y=1, x=2)
    }

    [Fact]
    public void WritePixels_Upscale2x_InterpolatesWithHalfPixelCentres()
    {
        // 2x2 → 4x4: torch gives x weights (1,0), (0.75,0.25), (0.25,0.75), (0,1).
        using var image = new Image<Rgb24>(2, 2, new Rgb24(0, 0, 0));
        image[1, 0] = new Rgb24(255, 0, 0);
        image[1, 1] = new Rgb24(255, 0, 0);
        var output = new float[Settings.ElementCount];
        var identity = new PreprocessSettings(4, [0f, 0f, 0f], [1f, 1f, 1f]);

        ImagePreprocessor.WritePixels(image, identity, output);

        Assert.Equal([0f, 0.25f, 0.75f, 1f], output[..4]);
    }

    [Fact]
    public void ComputeIndices_Downscale_MatchesTorch()
    {
        int[] i0 = new int[2], i1 = new int[2];
        float[] w0 = new float[2], w1 = new float[2];

        ImagePreprocessor.ComputeIndices(5, i0, i1, w0, w1);

        // scale 2.5: src = 0.75, 3.25
        Assert.Equal([0, 3], i0);
        Assert.Equal([1, 4], i1);
        Assert.Equal([0.75f, 0.25f], w1);
        Assert.Equal([0.25f, 0.75f], w0);
    }

    [Fact]
    public void WritePixels_WrongDestinationLength_Throws()
    {
        using var image = new Image<Rgb24>(4, 4);

        Assert.Throws<ArgumentException>(() => ImagePreprocessor.WritePixels(image, Settings, new float[10]));
    }

    [Fact]
    public void FromManifest_NonSquareOrOtherScale_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => PreprocessSettings.FromManifest([224, 200], [0, 0, 0], [1, 1, 1], 1 / 255.0));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => PreprocessSettings.FromManifest([224, 224], [0, 0, 0], [1, 1, 1], 1 / 127.5));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => PreprocessSettings.FromManifest([224, 224], [0, 0, 0], [1, 0, 1], 1 / 255.0));
    }
}
