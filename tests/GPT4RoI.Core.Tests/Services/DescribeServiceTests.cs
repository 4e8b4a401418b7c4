using System.Text.Json.Nodes;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Services;
using GPT4RoI.Core.Tests.Engine;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Services;

[Collection("engine")]
public sealed class DescribeServiceTests(EngineFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly Detector _detector = new(new DetectorOptions { Path = TinyDetector.Path, ForceCpu = true });

    public void Dispose() => _detector.Dispose();

    private DescribeService Service(Gpt4RoIEngine? engine = null) =>
        new(engine ?? fixture.Engine, _detector, ImageLimits.Default, QueryAdmission.Unbounded);

    private static DescribeInput Input(string golden = "01_png", string? question = null)
    {
        var file = TinyDetector.ReadCase(golden).GetProperty("image").GetString()!;
        return new DescribeInput(File.ReadAllBytes(Path.Combine(TinyDetector.CaseDir(golden), file)), file, question, GenerationOptions.Greedy);
    }

    [Theory]
    [InlineData("01_png")]
    [InlineData("05_four_shapes")]
    [InlineData("04_exif_rotated_jpeg")]
    public async Task DescribeAsync_GoldenScene_AnswersEachDetectedObjectCorrectly(string golden)
    {
        var truth = TinyDetector.ReadCase(golden).GetProperty("objects").EnumerateArray()
            .Select(o => (Box: o.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
                Text: $"a {o.GetProperty("colour").GetString()} {o.GetProperty("kind").GetString()}")).ToList();

        var result = await Service().DescribeAsync(Input(golden));

        Assert.Equal(DetectionPromptSpec.PerRegion, result.Mode);
        Assert.Equal(DescribeService.DefaultQuestion, result.Question);
        Assert.Equal(truth.Count, result.Objects.Count);
        foreach (var o in result.Objects)
        {
            var match = truth.MaxBy(t => Iou(t.Box, o.Box));
            output.WriteLine($"{o.Index}: {o.Label} {o.Score:F3} [{string.Join(", ", o.Box.Select(v => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}] -> {o.Answer} (truth: {match.Text})");
            Assert.True(Iou(match.Box, o.Box) > 0.7);
            Assert.Equal(match.Text, o.Answer);
            Assert.EndsWith(o.Label, o.Answer!, StringComparison.Ordinal);
        }

        Assert.True(result.Usage.GeneratedTokens > 0);
        Assert.Equal(fixture.Engine.ModelId, result.Model.Id);
        Assert.Equal("tiny-detector-shapes", result.Detector.Id);
    }

    [Fact]
    public async Task DescribeAsync_NothingDetected_GivesAnEmptyResultWithoutError()
    {
        var input = new DescribeInput(TestImages.SolidPng(300, 200, new Rgb24(128, 128, 128)), "grey.png", null, GenerationOptions.Greedy);

        var result = await Service().DescribeAsync(input);

        Assert.Empty(result.Objects);
        Assert.Null(result.Answer);
        Assert.Equal(0, result.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task StreamAsync_GoldenScene_DetectedThenOneEventPerObjectThenCompleted()
    {
        var events = new List<DescribeEvent>();
        await foreach (var e in Service().StreamAsync(Input("05_four_shapes", "What color is <region1>?")))
        {
            events.Add(e);
        }

        var detected = Assert.IsType<ObjectsDetected>(events[0]);
        Assert.All(detected.Objects, o => Assert.Null(o.Answer));
        var described = events.Skip(1).Take(detected.Objects.Count).Select(e => Assert.IsType<ObjectDescribed>(e).Described).ToList();
        Assert.Equal(Enumerable.Range(1, detected.Objects.Count), described.Select(d => d.Index));
        Assert.All(described, d => Assert.False(string.IsNullOrEmpty(d.Answer)));
        var completed = Assert.IsType<DescribeCompleted>(events[^1]);
        Assert.Equal(described.Select(d => d.Answer), completed.Result.Objects.Select(o => o.Answer));
        Assert.Equal(2 + detected.Objects.Count, events.Count);
    }

    [Fact]
    public async Task DescribeAsync_MinScoreAboveEveryScore_DescribesNothing()
    {
        var result = await Service().DescribeAsync(Input() with { MinScore = 0.99999 });

        Assert.Empty(result.Objects);
        Assert.Equal(4, result.Skipped);
    }

    [Fact]
    public async Task DescribeAsync_QuestionWithoutRegion1_IsRefused()
    {
        var ex = await Assert.ThrowsAnyAsync<Gpt4RoIException>(() => Service().DescribeAsync(Input(question: "What is this?")));

        Assert.Equal(ErrorCode.InvalidQuestion, ex.Code);
    }

    [Fact]
    public async Task DescribeAsync_OfficialCliDemoMode_PutsEveryBoxInOneTurn()
    {
        using var temp = new TempDirectory();
        var folder = CopyTinyModel(temp.Path, new JsonObject
        {
            ["mode"] = "official_cli_demo",
            ["image_intro"] = "The <image> describes the entire picture, while <spi_descript> describes specific regions within the image.\n",
            ["regions_placeholder"] = "<spi_descript>",
            ["region_text"] = "<bbox>",
            ["region_separator"] = "",
            ["score_threshold"] = 0.3,
            ["max_regions"] = 100,
            ["min_box_side_normalized"] = 0.02,
            ["fallback_first"] = 10,
        });
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = folder, Verification = FileVerification.SizeOnly });

        var result = await Service(engine).DescribeAsync(Input(question: "What is in the picture?") with
        {
            Generation = GenerationOptions.Greedy with { MaxNewTokens = 8 },
        });

        Assert.Equal(DetectionPromptSpec.OfficialCliDemo, result.Mode);
        Assert.Equal(4, result.Objects.Count);
        Assert.All(result.Objects, o => Assert.Null(o.Answer));
        Assert.NotNull(result.Answer);
        Assert.True(result.Usage.PromptTokens > 0);
    }

    private static string CopyTinyModel(string directory, JsonObject detectionPrompt)
    {
        foreach (var file in Directory.GetFiles(TinyModel.Path))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        var manifestPath = Path.Combine(directory, "manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        node["detection_prompt"] = detectionPrompt;
        File.WriteAllText(manifestPath, node.ToJsonString());
        return directory;
    }

    private static double Iou(double[] a, double[] b)
    {
        var iw = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        var ih = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        var inter = iw * ih;
        return inter / (((a[2] - a[0]) * (a[3] - a[1])) + ((b[2] - b[0]) * (b[3] - b[1])) - inter);
    }
}
