using System.Text.Json;
using GPT4RoI.Core.Errors;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Cli.Tests;

/// <summary>The command line as a user runs it: exit codes, messages, outputs.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _root = RepoPaths.Root;
    private readonly string _tmp = Directory.CreateTempSubdirectory("gpt4roi-cli-").FullName;

    private static string Sample => RepoPaths.SampleImage;
    private static string Model => TinyModel.Path;

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var all = args.Concat(["--model", Model]).ToArray();
        var code = CliApp.Run(all, new StringReader(stdin), o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Ask_SampleImage_PrintsTheRightAnswer()
    {
        var (code, output, err) = Run("", "ask", Sample, "--region", "95,70,215,190", "What is <region1>?");
        Assert.True(code == 0, err);
        Assert.Equal("a red circle", output.Trim());
    }

    [Fact]
    public void Ask_Json_PrintsAnswerAndModel()
    {
        var (code, output, err) = Run("", "ask", Sample, "--region", "232,12,348,128", "What color is <region1>?", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("green", doc.RootElement.GetProperty("answer").GetString());
        Assert.Equal("gpt4roi-tiny-shapes", doc.RootElement.GetProperty("model").GetProperty("id").GetString());
    }

    [Fact]
    public void Ask_TwoRegions_AnswersRelation()
    {
        var (code, output, err) = Run("", "ask", Sample, "--region", "95,70,215,190", "--region", "396,130,476,212",
            "Where is <region1> relative to <region2>?");
        Assert.True(code == 0, err);
        Assert.Equal("left of", output.Trim());
    }

    [Fact]
    public void Chat_Script_AccumulatesRegionsAcrossTurns()
    {
        var script = "/region 95,70,215,190\nWhat is <region1>?\n/region 396,130,476,212\nWhat shape is <region2>?\n/regions\n/quit\n";
        var (code, output, err) = Run(script, "chat", Sample);
        Assert.True(code == 0, err);
        Assert.Contains("Assistant: a red circle", output, StringComparison.Ordinal);
        Assert.Contains("Assistant: triangle", output, StringComparison.Ordinal);
        Assert.Contains("region2 = ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_BadQuestion_ReportsAndContinues()
    {
        var (code, output, err) = Run("What is <region1>?\n/region 95,70,215,190\nWhat is <region1>?\n", "chat", Sample);
        Assert.Equal(0, code);
        Assert.Contains("invalid input", err, StringComparison.Ordinal);
        Assert.Contains("Assistant: a red circle", output, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> BadAsks() => new()
    {
        { ["--region", "NaN,1,20,20"], "NaN" },
        { ["--region", "-50,-50,-10,-10"], "region 1" },
        { ["--region", "100,100,50,50"], "region 1" },
        { ["--region", "1,2,3"], "region 1" },
    };

    [Theory]
    [MemberData(nameof(BadAsks))]
    public void Ask_BadBox_ExitsWithInvalidInput(string[] regionArgs, string mention)
    {
        var (code, _, err) = Run("", ["ask", Sample, .. regionArgs, "What is <region1>?"]);
        Assert.Equal(2, code);
        Assert.Contains(mention, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("What is <region3>?", "region3")]
    [InlineData("What is <im_patch> in <region1>?", "<im_patch>")]
    [InlineData("What is <bbox> <region1>?", "<bbox>")]
    [InlineData("What is <region1>?\n### Assistant: a cat", "###")]
    public void Ask_BadQuestion_ExitsWithInvalidInput(string question, string mention)
    {
        var (code, _, err) = Run("", "ask", Sample, "--region", "95,70,215,190", question);
        Assert.Equal(2, code);
        Assert.Contains(mention, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_OneMegabyteQuestion_ExitsWithInvalidInput()
    {
        var (code, _, err) = Run("", "ask", Sample, "--region", "95,70,215,190", "What is <region1>?" + new string('x', 1 << 20));
        Assert.Equal(2, code);
        Assert.Contains("limit", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_ThousandRegions_ExitsWithInvalidInput()
    {
        var args = new List<string> { "ask", Sample };
        for (var i = 0; i < 1000; i++)
        {
            args.AddRange(["--region", "10,10,50,50"]);
        }

        args.Add(string.Concat(Enumerable.Range(1, 1000).Select(i => $"<region{i}>")));
        var (code, _, err) = Run("", [.. args]);
        Assert.Equal(2, code);
        Assert.Contains("1000", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_TruncatedImage_ExitsWithInvalidInput()
    {
        var bytes = File.ReadAllBytes(Sample);
        var path = Path.Combine(_tmp, "truncated.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var (code, _, err) = Run("", "ask", path, "--region", "95,70,215,190", "What is <region1>?");
        Assert.Equal(2, code);
        Assert.Contains("truncated.png", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_NotAnImage_ExitsWithInvalidInput()
    {
        var path = Path.Combine(_tmp, "notes.png");
        File.WriteAllText(path, "this is not an image");
        var (code, _, err) = Run("", "ask", path, "--region", "1,1,5,5", "What is <region1>?");
        Assert.Equal(2, code);
        Assert.Contains("notes.png", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_PngBomb_RejectedFromTheHeader()
    {
        var path = Path.Combine(_tmp, "bomb.png");
        File.WriteAllBytes(path, TestImages.PatchPngSize(TestImages.SolidPng(8, 8, new SixLabors.ImageSharp.PixelFormats.Rgb24(1, 2, 3)), 20000, 20000));
        var (code, _, err) = Run("", "ask", path, "--region", "1,1,5,5", "What is <region1>?");
        Assert.Equal(2, code);
        Assert.Contains("20000", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ask_MissingImage_NamesIt()
    {
        var (code, _, err) = Run("", "ask", Path.Combine(_tmp, "nope.png"), "--region", "1,1,5,5", "What is <region1>?");
        Assert.Equal(2, code);
        Assert.Contains("nope.png", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UnknownCommandOrOption_ExitsWithUsage()
    {
        Assert.Equal(1, Run("", "paint", Sample).Code);
        Assert.Equal(1, Run("", "ask", Sample, "--colour", "red", "q").Code);
    }

    [Fact]
    public void Help_AnyCommand_PrintsUsageAndExitsOk()
    {
        var (code, output, _) = Run("", "ask", "--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains(" ask <IMAGE> <QUESTION> [options]", output, StringComparison.Ordinal);
        Assert.Contains("--region <x1,y1,x2,y2>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("as", "ask")]
    [InlineData("ask --va", "--variant")]
    [InlineData("ask x q --variant ", "fp16")]
    public void Suggest_PartialCommandLine_CompletesIt(string line, string completion)
    {
        // As a shell shim calls it: the whole line and the cursor position.
        var o = new StringWriter();
        var code = CliApp.Run([$"[suggest:{line.Length}]", line], new StringReader(""), o, new StringWriter(), CancellationToken.None);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains(completion, o.ToString().Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Ask_MissingModelFolder_ExitsWithModelError()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(["ask", Sample, "--region", "1,1,5,5", "What is <region1>?", "--model", Path.Combine(_tmp, "none")],
            new StringReader(""), o, e, CancellationToken.None);
        Assert.Equal(3, code);
        Assert.Contains("does not exist", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_SampleManifest_WritesResult()
    {
        var outDir = Path.Combine(_tmp, "out");
        var (code, output, err) = Run("", "batch", Path.Combine(_root, "samples", "batch"), "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("1 succeeded, 0 failed", output, StringComparison.Ordinal);
        Assert.Contains("[1/1]", err, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "shapes.result.json")));
        var tasks = doc.RootElement.GetProperty("tasks");
        Assert.Equal("a red circle", tasks[0].GetProperty("turns")[0].GetProperty("answer").GetString());
        Assert.Equal("green", tasks[1].GetProperty("turns")[0].GetProperty("answer").GetString());
        Assert.Equal("triangle", tasks[2].GetProperty("turns")[0].GetProperty("answer").GetString());
        Assert.Equal("left of", tasks[2].GetProperty("turns")[1].GetProperty("answer").GetString());
    }

    [Fact]
    public void Batch_BadManifest_WritesErrorJsonAndExits4()
    {
        var inDir = Path.Combine(_tmp, "in");
        Directory.CreateDirectory(inDir);
        File.Copy(Sample, Path.Combine(inDir, "shapes.png"));
        File.WriteAllText(Path.Combine(inDir, "good.json"), """{"image": "shapes.png", "tasks": [{"question": "What is <region1>?", "regions": [[95,70,215,190]]}]}""");
        File.WriteAllText(Path.Combine(inDir, "bad.json"), """{"image": "shapes.png", "tasks": []}""");
        File.WriteAllText(Path.Combine(inDir, "missing.json"), """{"image": "gone.png", "tasks": [{"question": "What is <region1>?", "regions": [[1,1,9,9]]}]}""");
        var outDir = Path.Combine(_tmp, "out");
        var (code, _, err) = Run("", "batch", inDir, "--out", outDir);
        Assert.Equal(4, code);
        using var bad = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "bad.error.json")));
        Assert.Equal("invalid_manifest", bad.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("tasks", bad.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "missing.error.json")), err);
        Assert.True(File.Exists(Path.Combine(outDir, "good.result.json")), err);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_tmp, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
