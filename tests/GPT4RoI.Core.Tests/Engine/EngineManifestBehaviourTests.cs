using System.Text.Json.Nodes;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Engine;

/// <summary>The engine takes the preprocessing mode, the decoding defaults and the special tokens from the manifest.</summary>
[Collection("engine")]
public sealed class EngineManifestBehaviourTests(EngineFixture fixture)
{
    private static readonly BoundingBox Circle = new(95, 70, 215, 190);

    /// <summary>A copy of the tiny model folder (fp32 graphs only) with <paramref name="edit"/> applied to its manifest.</summary>
    private static TempDirectory TinyCopy(Action<JsonNode> edit)
    {
        var dir = new TempDirectory();
        foreach (var file in new[] { "vision.onnx", "region_head.onnx", "decoder.onnx", "embed_tokens.bin", "tokenizer.model" })
        {
            File.Copy(Path.Combine(TinyModel.Path, file), dir.File(file));
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyModel.Path, "manifest.json")))!;
        edit(manifest);
        File.WriteAllText(dir.File("manifest.json"), manifest.ToJsonString());
        return dir;
    }

    [Fact]
    public void Engine_TinyModel_GreedySixtyFourAndStretch()
    {
        Assert.Equal(GenerationOptions.Greedy, fixture.Engine.DefaultGeneration);
        Assert.Equal(PreprocessMode.StretchBilinear, fixture.Engine.Preprocess.Mode);
        Assert.Equal(3, fixture.Engine.Tokenizer.SpecialTokens.Count);
    }

    [Fact]
    public void Engine_ManifestWithClipModeAndSampling_UsesThem()
    {
        using var dir = TinyCopy(m =>
        {
            m["preprocess"]!["mode"] = "clip_processor_stretch";
            m["generation"] = new JsonObject
            {
                ["do_sample"] = true, ["temperature"] = 0.7, ["top_k"] = 5, ["top_p"] = 0.9, ["max_new_tokens"] = 6,
            };
        });
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = dir.Path, ForceCpu = true });
        Assert.Equal(PreprocessMode.ClipProcessorStretch, engine.Preprocess.Mode);
        Assert.Equal(new GenerationOptions { Temperature = 0.7f, TopK = 5, TopP = 0.9f, MaxNewTokens = 6 }, engine.DefaultGeneration);

        using var image = ImageDecoder.Decode(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", ImageLimits.Default);
        var pixels = new float[engine.Preprocess.ElementCount];
        ImagePreprocessor.WritePixels(image.Image, engine.Preprocess, pixels);
        var stretch = new float[pixels.Length];
        ImagePreprocessor.WritePixels(image.Image, fixture.Engine.Preprocess, stretch);
        Assert.NotEqual(stretch, pixels);

        using var session = engine.StartSession(image);
        var result = session.Ask("  What is <1>?  ", [Circle]);
        Assert.InRange(result.GeneratedTokenIds.Count, 0, 6);
        Assert.Equal("What is region1 <bbox>?", session.Conversation.Turns[0].Expanded);
    }

    [Fact]
    public void Engine_BosTokenNotTheBosId_ModelError()
    {
        using var dir = TinyCopy(m => m["tokenizer"]!["special_tokens"]!["bos_token"] = "</s>");
        var ex = Assert.Throws<ModelLoadException>(() => new Gpt4RoIEngine(new EngineOptions { ModelPath = dir.Path, ForceCpu = true }));
        Assert.Contains("bos_token='</s>' has id 2, but the BOS id is 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Engine_FastChatBos_PromptStartsWithTheManifestsBos()
    {
        using var dir = TinyCopy(m =>
        {
            m["tokenizer"]!["special_tokens"]!["bos_token"] = "</s>";
            m["tokenizer"]!["bos_id"] = 2;
        });
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = dir.Path, ForceCpu = true });
        using var image = ImageDecoder.Decode(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", ImageLimits.Default);
        using var session = engine.StartSession(image);
        var result = session.Ask("What is <region1>?", [Circle], new GenerationOptions { MaxNewTokens = 2 });
        Assert.Equal(2, result.PromptTokenIds[0]);
    }

    [Fact]
    public void ModelManifest_UnknownPreprocessMode_ModelError()
    {
        using var dir = TinyCopy(m => m["preprocess"]!["mode"] = "letterbox");
        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Load(dir.File("manifest.json")));
        Assert.Contains("preprocess.mode 'letterbox'", ex.Message, StringComparison.Ordinal);
    }
}
