using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Inference;

/// <summary>The manifest's <c>generation</c> as the decoding defaults (values the reference's exporter writes:
/// models/goldens/engine_rules/generation.json).</summary>
public sealed class GenerationOptionsTests
{
    private static GenerationSpec Preset(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "models", "goldens", "engine_rules", "generation.json")));
        var g = doc.RootElement.GetProperty(name);
        return new GenerationSpec
        {
            DoSample = g.GetProperty("do_sample").GetBoolean(),
            Temperature = g.GetProperty("temperature").GetSingle(),
            TopK = g.GetProperty("top_k").GetInt32(),
            TopP = g.GetProperty("top_p").GetSingle(),
            MaxNewTokens = g.GetProperty("max_new_tokens").GetInt32(),
        };
    }

    [Fact]
    public void FromManifest_TinyManifest_GreedySixtyFour()
    {
        Assert.Equal(Preset("tiny"), TinyModel.Manifest.Generation);
        var options = GenerationOptions.FromManifest(TinyModel.Manifest.Generation, 1024);
        Assert.Equal(GenerationOptions.Greedy, options);
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(64, options.MaxNewTokens);
    }

    [Fact]
    public void FromManifest_SevenBPreset_TheDemosSampling()
    {
        var options = GenerationOptions.FromManifest(Preset("7b"), 1024);
        Assert.Equal(0.2f, options.Temperature);
        Assert.Equal(50, options.TopK);
        Assert.Equal(1f, options.TopP);
        Assert.Equal(1024, options.MaxNewTokens);
        options.Validate(1024);
    }

    [Fact]
    public void FromManifest_MaxNewTokensOverTheEngineLimit_Clamped()
    {
        Assert.Equal(256, GenerationOptions.FromManifest(Preset("7b"), 256).MaxNewTokens);
        Assert.Equal(GenerationOptions.Greedy, GenerationOptions.FromManifest(null));
    }

    [Fact]
    public void ToOptions_PartialRequest_UnsetFieldsFromTheModel()
    {
        var defaults = GenerationOptions.FromManifest(Preset("7b"), 1024);
        var options = new GenerationSettings { Temperature = 0.7f, Seed = 9 }.ToOptions(defaults);
        Assert.Equal(0.7f, options.Temperature);
        Assert.Equal(50, options.TopK);
        Assert.Equal(9, options.Seed);
        Assert.Equal(1024, options.MaxNewTokens);
        Assert.Equal(GenerationOptions.Greedy, new GenerationSettings().ToOptions());
        Assert.Equal(3, new GenerationSettings { TopK = 3 }.ToOptions(defaults).TopK);
    }

    [Fact]
    public void Validate_NegativeTopK_InvalidRequest()
    {
        var ex = Assert.Throws<Gpt4RoIException>(() => new GenerationOptions { TopK = -1 }.Validate(64));
        Assert.Equal(ErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public void TopK_Json_RoundTripsAsSnakeCase()
    {
        var json = JsonSerializer.Serialize(new GenerationSettings { TopK = 5 }, ContractJson.Compact);
        Assert.Contains("\"top_k\":5", json, StringComparison.Ordinal);
        Assert.Equal(5, JsonSerializer.Deserialize<GenerationSettings>(json, ContractJson.Compact)!.TopK);
    }
}
