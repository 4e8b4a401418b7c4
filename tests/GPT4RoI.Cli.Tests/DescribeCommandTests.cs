using System.Text.Json;
using GPT4RoI.Core.Errors;
using GPT4RoI.TestSupport;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Cli.Tests;

/// <summary><c>gpt4roi describe</c> and <c>--detect</c> on <c>ask</c> and <c>chat</c>, run as a user runs them.</summary>
public sealed class DescribeCommandTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("gpt4roi-cli-describe-").FullName;

    private static string Golden(string name) =>
        Path.Combine(TinyDetector.CaseDir(name), TinyDetector.ReadCase(name).GetProperty("image").GetString()!);

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var all = args.Concat(["--model", TinyModel.Path]).ToArray();
        if (!args.Contains("--detector"))
        {
            all = [.. all, "--detector", TinyDetector.Path];
        }

        var code = CliApp.Run(all, new StringReader(stdin), o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Describe_GoldenScene_PrintsOneLinePerObjectWithItsAnswer()
    {
        var truth = TinyDetector.ReadCase("01_png").GetProperty("objects").EnumerateArray()
            .Select(o => $"a {o.GetProperty("colour").GetString()} {o.GetProperty("kind").GetString()}").Order().ToList();

        var (code, output, err) = Run("", "describe", Golden("01_png"));

        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var fields = lines.Select(l => l.TrimEnd('\r').Split('\t')).ToList();
        Assert.Equal(["1", "2", "3", "4"], fields.Select(f => f[0]));
        Assert.All(fields, f => Assert.EndsWith(f[1], f[4], StringComparison.Ordinal));   // the answer names the detected kind
        Assert.All(fields, f => Assert.StartsWith("[", f[3], StringComparison.Ordinal));
        Assert.Equal(truth, fields.Select(f => f[4]).Order());
    }

    [Fact]
    public void Describe_Json_PrintsTheResultContract()
    {
        var (code, output, err) = Run("", "describe", Golden("05_four_shapes"), "--json", "--question", "What color is <region1>?");

        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("per_region", root.GetProperty("mode").GetString());
        Assert.Equal("What color is <region1>?", root.GetProperty("question").GetString());
        Assert.Equal("tiny-detector-shapes", root.GetProperty("detector").GetProperty("id").GetString());
        var objects = root.GetProperty("objects").EnumerateArray().ToList();
        Assert.Equal(4, objects.Count);
        Assert.All(objects, o =>
        {
            Assert.Equal(4, o.GetProperty("box").GetArrayLength());
            Assert.InRange(o.GetProperty("score").GetDouble(), 0.5, 1.0);
            Assert.Contains(o.GetProperty("answer").GetString(), new[] { "red", "green", "blue", "yellow" });
        });
    }

    [Fact]
    public void Describe_NothingDetected_ExitsZeroAndSaysSo()
    {
        var path = Path.Combine(_tmp, "grey.png");
        File.WriteAllBytes(path, TestImages.SolidPng(200, 150, new Rgb24(128, 128, 128)));

        var (code, output, err) = Run("", "describe", path);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("", output);
        Assert.Contains("no objects detected", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_MinScoreOutOfRange_IsInvalidInput()
    {
        var (code, _, err) = Run("", "describe", Golden("01_png"), "--min-score", "2");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--min-score", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_MissingDetectorFolder_IsAModelError()
    {
        var (code, _, err) = Run("", "describe", Golden("01_png"), "--detector", Path.Combine(_tmp, "none"));

        Assert.Equal(ExitCodes.ModelError, code);
        Assert.Contains("does not exist", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_Detect_DetectedObjectIsRegion1()
    {
        var (code, output, err) = Run("", "ask", "--detect", Golden("03_tall_png"), "What is <region1>?");

        Assert.True(code == 0, err);
        Assert.Equal("a red square", output.Trim());
        Assert.StartsWith("region1\tsquare\t", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_Detect_FirstQuestionNamesTheDetectedRegions()
    {
        var (code, output, err) = Run("What color is <region1>?\n/quit\n", "chat", "--detect", Golden("03_tall_png"));

        Assert.True(code == 0, err);
        Assert.Contains("Assistant: red", output, StringComparison.Ordinal);
        Assert.Contains("region1\tsquare", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_DetectManifest_WritesEachDetectionWithItsAnswer()
    {
        File.Copy(Golden("03_tall_png"), Path.Combine(_tmp, "scene.png"));
        var manifest = Path.Combine(_tmp, "detect.json");
        File.WriteAllText(manifest, """{ "image": "scene.png", "regions": "detect", "question": "What color is <region1>?" }""");
        var outDir = Path.Combine(_tmp, "out");

        var (code, _, err) = Run("", "batch", manifest, "--out", outDir);

        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "detect.result.json")));
        var o = Assert.Single(doc.RootElement.GetProperty("objects").EnumerateArray());
        Assert.Equal("square", o.GetProperty("label").GetString());
        Assert.Equal("red", o.GetProperty("answer").GetString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_tmp, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
