using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Imaging;
using GPT4RoI.ModelTools.Tensors;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Imaging;

/// <summary>
/// The <c>clip_processor_stretch</c> mode against the reference's goldens (models/goldens/clip_preprocess, made with
/// Pillow 9.4.0 and torch by <c>python3 -m gpt4roi_ref.golden_preprocess</c>): Pillow's bicubic resize bit for bit,
/// the final pixels within 1e-5.
/// </summary>
public sealed class ClipProcessorPreprocessTests(ITestOutputHelper output)
{
    private static string GoldenDir => Path.Combine(RepoPaths.Root, "models", "goldens", "clip_preprocess");

    public static TheoryData<string> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(GoldenDir, "index.json")));
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetString()!);
        }

        return data;
    }

    private static PreprocessSettings ClipSettings()
    {
        var tiny = GoldenPreprocessTests.ManifestSettings();
        return new PreprocessSettings(tiny.Size, tiny.Mean, tiny.Std, PreprocessMode.ClipProcessorStretch);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClipProcessorResize_GoldenCase_EqualsPillowBitForBit(string name)
    {
        var dir = Path.Combine(GoldenDir, name);
        using var caseDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "case.json")));
        var size = caseDoc.RootElement.GetProperty("resized_size").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var golden = TensorBundle.Load(Path.Combine(dir, "tensors.json")).Get("resized");
        using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "image.png")), "image.png");

        var resized = ImagePreprocessor.ClipProcessorResize(image.Image, 224, out var width, out var height);

        Assert.Equal(size, new[] { width, height });
        Assert.Equal([height, width, 3L], golden.Shape);
        var expected = golden.AsBytes();
        var differ = 0;
        var maxDiff = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(resized[i] - expected[i]);
            differ += d > 0 ? 1 : 0;
            maxDiff = Math.Max(maxDiff, d);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {width}x{height}, {differ} of {expected.Length} bytes differ (max {maxDiff})"));
        Assert.Equal(0, differ);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WritePixels_ClipProcessorStretchGoldenCase_MatchesReference(string name)
    {
        var dir = Path.Combine(GoldenDir, name);
        using var caseDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "case.json")));
        var sampled = caseDoc.RootElement.GetProperty("pixels");
        var stride = sampled.GetProperty("stride").GetInt32();
        var golden = TensorBundle.Load(Path.Combine(dir, "tensors.json")).Get("pixels").AsFloat32();
        using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "image.png")), "image.png");
        var settings = ClipSettings();
        var pixels = new float[settings.ElementCount];

        ImagePreprocessor.WritePixels(image.Image, settings, pixels);

        Assert.Equal((pixels.Length + stride - 1) / stride, golden.Length);
        double maxErr = 0;
        for (var i = 0; i < golden.Length; i++)
        {
            maxErr = Math.Max(maxErr, Math.Abs((double)pixels[i * stride] - golden[i]));
        }

        var sum = pixels.Sum(v => (double)v);
        var goldenSum = sampled.GetProperty("sum").GetDouble();
        var report = string.Create(CultureInfo.InvariantCulture, $"{name}: max abs pixel error {maxErr:E3}; sum {sum:F4} vs {goldenSum:F4}");
        output.WriteLine(report);
        Assert.True(maxErr <= 1e-5, report);
        Assert.True(Math.Abs(sum - goldenSum) <= 1e-3 * Math.Max(1, Math.Abs(goldenSum)), report);
    }

    [Theory]
    [InlineData(640, 480, 298, 224)]
    [InlineData(480, 640, 224, 298)]
    [InlineData(224, 500, 224, 500)]
    [InlineData(100, 50, 448, 224)]
    [InlineData(333, 333, 224, 224)]
    public void ClipProcessorSize_ShortestEdge_AsTheReference(int width, int height, int expectedWidth, int expectedHeight)
    {
        // models/tests/test_fidelity.py test_clip_processor_size_shortestEdge.
        Assert.Equal((expectedWidth, expectedHeight), PillowBicubic.ClipProcessorSize(width, height, 224));
    }

    [Fact]
    public void WritePixels_ClipMode_DiffersFromStretchAndAllocatesNoPerPixelMemory()
    {
        using var image = new Image<Rgb24>(400, 300);
        var random = new Random(3);
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
            {
                foreach (ref var p in a.GetRowSpan(y))
                {
                    p = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        var clip = ClipSettings();
        var stretch = GoldenPreprocessTests.ManifestSettings();
        var a = new float[clip.ElementCount];
        var b = new float[clip.ElementCount];
        ImagePreprocessor.WritePixels(image, clip, a);
        ImagePreprocessor.WritePixels(image, stretch, b);
        Assert.True(a.Zip(b).Max(t => Math.Abs(t.First - t.Second)) > 1e-2);

        ImagePreprocessor.WritePixels(image, clip, a); // warm pooled buffers
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            ImagePreprocessor.WritePixels(image, clip, a);
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 5;
        output.WriteLine($"allocated per call: {perCall} bytes (image 400x300, {400 * 300} pixels)");
        Assert.True(perCall < 4096, $"{perCall} bytes per call");
    }
}
