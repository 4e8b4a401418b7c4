using System.Text.Json.Nodes;
using GPT4RoI.Core.Errors;
using GPT4RoI.TestSupport;

namespace GPT4RoI.ModelTools.Tests;

/// <summary><c>gpt4roi-modeltools detector-eval</c> on a small dump made from the detector goldens (the format
/// <c>evaluate_detector --dump</c> writes).</summary>
public sealed class DetectorEvalTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private void WriteDump(params string[] cases)
    {
        var scenes = new JsonArray();
        foreach (var name in cases)
        {
            var c = TinyDetector.ReadCase(name);
            var image = c.GetProperty("image").GetString()!;
            var file = $"{name}{Path.GetExtension(image)}";
            File.Copy(Path.Combine(TinyDetector.CaseDir(name), image), _dir.File(file));
            scenes.Add(new JsonObject
            {
                ["image"] = file,
                ["objects"] = JsonNode.Parse(c.GetProperty("objects").GetRawText()),
                ["detections"] = JsonNode.Parse(c.GetProperty("detections").GetRawText()),
            });
        }

        var root = new JsonObject { ["format"] = "gpt4roi-detector-eval", ["question"] = "What is <region1>?", ["scenes"] = scenes };
        File.WriteAllText(_dir.File("scenes.json"), root.ToJsonString());
    }

    [Fact]
    public void Run_GoldenScenes_PrintsFiguresAndPasses()
    {
        WriteDump("01_png", "05_four_shapes", "06_empty");
        var output = new StringWriter();

        var code = new DetectorEval(output).Run(_dir.Path, TinyModel.Path, TinyDetector.Path, 0.9);

        var text = output.ToString();
        Assert.True(code == ExitCodes.Ok, text);
        Assert.Contains("3 scenes", text, StringComparison.Ordinal);
        Assert.Contains("objects 8  boxes 8  any class: matched 8, recall 100.00%, precision 100.00%", text, StringComparison.Ordinal);
        Assert.Contains("8/8 = 100.00% answers right", text, StringComparison.Ordinal);
        Assert.Contains("3/3 scenes with the same detections", text, StringComparison.Ordinal);
        Assert.Contains("ms/scene", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NoDump_IsNotFound()
    {
        var ex = Assert.Throws<Gpt4RoIException>(() => new DetectorEval(TextWriter.Null).Run(_dir.Path, TinyModel.Path, TinyDetector.Path, 0.9));

        Assert.Equal(ErrorCode.NotFound, ex.Code);
    }
}
