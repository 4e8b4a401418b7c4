using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Detection;

/// <summary>The detector folder, its manifest checks and whole-image detection.</summary>
public sealed class DetectorTests(DetectorFixture fixture, ITestOutputHelper output) : IClassFixture<DetectorFixture>
{
    [Fact]
    public void Load_ShippedManifest_ReadsEveryField()
    {
        var m = fixture.Detector.Manifest;

        Assert.Equal("tiny-detector-shapes", m.ModelId);
        Assert.Equal(DetectorOutputLayout.Yolo, m.Output.Layout);
        Assert.Equal([1, 7, 1344], m.Output.Output!.Shape);
        Assert.Equal(["circle", "square", "triangle"], m.ClassNames);
        Assert.Equal(256, m.InputSize);
        Assert.Equal(0.5, fixture.Detector.DefaultSettings.ScoreThreshold);
        Assert.Equal(0.5, fixture.Detector.DefaultSettings.NmsIouThreshold);
        Assert.Equal("CPU", fixture.Detector.ExecutionProvider);
    }

    public static TheoryData<string, string> BadManifests() => new()
    {
        { "output_rows", "has 8 rows but class_names has 3 names" },
        { "class_count", "has 7 rows but class_names has 4 names" },
        { "layout", "output.layout 'ssd' is unknown" },
        { "nms", "postprocess.nms 'soft' is unknown" },
        { "format", "expected 'gpt4roi-detector'" },
        { "resize_mode", "preprocess.resize_mode 'crop' is unknown" },
        { "version", "\"format_version\" 2 is not supported" },
        { "input_size", "input.shape [1, 3, 320, 320] must be [1, 3, 256, 256]" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void Open_BadManifest_ThrowsDetectorErrorNamingTheField(string kind, string message)
    {
        using var temp = new TempDirectory();
        var dir = TinyDetector.CopyWithManifest(temp.Path, m =>
        {
            switch (kind)
            {
                case "output_rows": m["output"]!["shape"] = new JsonArray(1, 8, 1344); break;
                case "class_count": m["class_names"] = new JsonArray("circle", "square", "triangle", "star"); break;
                case "layout": m["output"]!["layout"] = "ssd"; break;
                case "nms": m["postprocess"]!["nms"] = "soft"; break;
                case "format": m["format"] = "yolo"; break;
                case "resize_mode": m["preprocess"]!["resize_mode"] = "crop"; break;
                case "version": m["format_version"] = 2; break;
                case "input_size": m["input"]!["shape"] = new JsonArray(1, 3, 320, 320); break;
            }
        });

        var ex = Assert.Throws<DetectorException>(() => DetectorFolder.Open(dir));

        Assert.Equal(ErrorCode.DetectorError, ex.Code);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFolder_ThrowsDetectorError()
    {
        var ex = Assert.Throws<DetectorException>(() => new Detector(new DetectorOptions { Path = "/nonexistent/detector", ForceCpu = true }));

        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_GraphOutputDoesNotMatchManifest_ThrowsDetectorError()
    {
        // The manifest claims 4 classes ([1, 8, 1344]); the graph gives [1, 7, 1344].
        using var temp = new TempDirectory();
        var dir = TinyDetector.CopyWithManifest(temp.Path, m =>
        {
            m["class_names"] = new JsonArray("circle", "square", "triangle", "star");
            m["output"]!["shape"] = new JsonArray(1, 8, 1344);
        });
        using var detector = new Detector(new DetectorOptions { Path = dir, ForceCpu = true });
        using var image = ImageDecoder.Decode(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png");

        var ex = Assert.Throws<DetectorException>(() => detector.Detect(image));

        Assert.Equal(ErrorCode.DetectorError, ex.Code);
        Assert.Contains("[1, 7, 1344]; the manifest says float32 [1, 8, 1344]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_EmptyImage_GivesZeroDetectionsWithoutError()
    {
        using var image = ImageDecoder.Decode(TestImages.SolidPng(320, 240, new Rgb24(128, 128, 128)), "grey.png");

        var result = fixture.Detector.Detect(image);

        Assert.Empty(result.Detections);
    }

    [Fact]
    public void Detect_ImageFarLargerThanInput_MapsBoxesBackToFullResolution()
    {
        var name = "01_png";
        var c = TinyDetector.ReadCase(name);
        using var small = Image.Load<Rgb24>(Path.Combine(TinyDetector.CaseDir(name), "image.png"));
        using var large = small.Clone(x => x.Resize(small.Width * 8, small.Height * 8, KnownResamplers.NearestNeighbor));
        using var ms = new MemoryStream();
        large.Save(ms, new PngEncoder());
        using var image = ImageDecoder.Decode(ms.ToArray(), "large.png");
        Assert.Equal(4024, image.Width);

        var result = fixture.Detector.Detect(image);

        var expected = c.GetProperty("detections");
        Assert.Equal(expected.GetArrayLength(), result.Detections.Count);
        foreach (var e in expected.EnumerateArray())
        {
            var box = e.GetProperty("box").EnumerateArray().Select(v => v.GetDouble() * 8).ToArray();
            var match = result.Detections.Where(d => d.Label == e.GetProperty("class_name").GetString())
                .MinBy(d => Math.Abs(d.Box.X1 - box[0]) + Math.Abs(d.Box.Y1 - box[1]));
            Assert.NotNull(match);
            var err = new[] { match.Box.X1 - box[0], match.Box.Y1 - box[1], match.Box.X2 - box[2], match.Box.Y2 - box[3] }.Max(Math.Abs);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{match.Label}: {match.Box} vs 8x reference, max diff {err:F2} px"));
            Assert.True(err < 24, $"{match.Box} is {err} px from 8 x the reference box");
            Assert.True(match.Box.X2 <= image.Width && match.Box.Y2 <= image.Height);
        }
    }

    [Theory]
    [InlineData("decoded_xyxy")]
    [InlineData("decoded_detr")]
    public void Detect_DecodedLayoutFolder_MatchesExpected(string folder)
    {
        var dir = TinyDetector.TestFolder(folder);
        var expected = TinyDetector.ReadJson(Path.Combine(dir, "expected.json"));
        using var detector = new Detector(new DetectorOptions { Path = dir, ForceCpu = true });
        using var image = ImageDecoder.Decode(TestImages.SolidPng(expected.GetProperty("image_width").GetInt32(), expected.GetProperty("image_height").GetInt32(), new Rgb24(10, 20, 30)), "solid.png");

        var result = detector.Detect(image);

        Assert.Equal(DetectorOutputLayout.Decoded, detector.Manifest.Output.Layout);
        Assert.Equal(TinyDetector.Geometry(expected.GetProperty("geometry")), result.Geometry);
        DetectorGoldenTests.AssertSameDetections(expected.GetProperty("detections"), result.Detections, 1e-3, 0, sameAnchor: true);
    }
}
