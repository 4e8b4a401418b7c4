using System.Text.Json;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

/// <summary>
/// The manifest's <c>tokenizer.special_tokens</c>: typed <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>,
/// <c>[PAD]</c> become their single ids with the whitespace around them stripped, as the reference's slow-tokenizer rule
/// (models/goldens/engine_rules/tokenizer_special_cases.json, made by <c>python3 -m gpt4roi_ref.golden_engine_rules</c>
/// from the tiny <c>tokenizer.model</c>), for the tiny model's map and for a checkpoint-ordered vocabulary with
/// FastChat's <c>bos_token</c> <c>&lt;/s&gt;</c>.
/// </summary>
public sealed class RoiTokenizerSpecialTokensTests
{
    private static string GoldenPath => Path.Combine(RepoPaths.Root, "models", "goldens", "engine_rules", "tokenizer_special_cases.json");

    public static TheoryData<string> Configs() => ["tiny_default", "training_order_fastchat_bos"];

    private static (RoiTokenizer Tokenizer, JsonElement Config) Load(string config)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(GoldenPath));
        var c = doc.RootElement.GetProperty("configs").GetProperty(config).Clone();
        var added = c.GetProperty("added_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var special = c.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        var bos = c.GetProperty("bos_id").GetInt32();
        using var model = File.OpenRead(Path.Combine(TinyModel.Path, "tokenizer.model"));
        return (new RoiTokenizer(model, added, bos, 2, addBeginningOfSentence: true, special), c);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Encode_TypedSpecialTokens_ReferenceIds(string config)
    {
        var (tokenizer, c) = Load(config);
        foreach (var @case in c.GetProperty("cases").EnumerateArray())
        {
            var text = @case.GetProperty("text").GetString()!;
            var expected = @case.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.True(expected.SequenceEqual(tokenizer.Encode(text)), $"{config}: '{text}'");
            Assert.Equal(expected, tokenizer.EncodeToIds(text));
        }
    }

    [Fact]
    public void Constructor_FastChatMap_BosIsEndOfSentencePiece()
    {
        var (tokenizer, _) = Load("training_order_fastchat_bos");
        Assert.Equal(2, tokenizer.BosId);
        Assert.Equal(2, tokenizer.Encode("x")[0]);
        Assert.Equal(512, tokenizer.SpecialTokens["[PAD]"]);
        Assert.Equal(518, tokenizer.VocabSize);
    }

    [Fact]
    public void Constructor_BosTokenDisagreesWithBosId_Throws()
    {
        using var model = File.OpenRead(Path.Combine(TinyModel.Path, "tokenizer.model"));
        var ex = Assert.Throws<ArgumentException>(() => new RoiTokenizer(model, TextTestData.AddedTokens(), 1, 2, true,
            new Dictionary<string, string> { ["bos_token"] = "</s>" }));
        Assert.Contains("bos_token='</s>' has id 2, but the BOS id is 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SpecialTokenNotInVocabulary_Throws()
    {
        using var model = File.OpenRead(Path.Combine(TinyModel.Path, "tokenizer.model"));
        Assert.Throws<ArgumentException>(() => new RoiTokenizer(model, TextTestData.AddedTokens(), 1, 2, true,
            new Dictionary<string, string> { ["pad_token"] = "[PAD]" }));
    }

    [Fact]
    public void Encode_WithoutSpecialTokens_TypedTokensStayText()
    {
        // The engine always passes the manifest's map; without one the old behaviour is kept.
        Assert.NotEqual([1, 2], TextTestData.Tokenizer.Encode("</s>"));
    }

    [Fact]
    public void Template_SpecialAddedToken_IsNotReserved()
    {
        var manifest = TinyModel.Manifest with
        {
            Tokenizer = TinyModel.Manifest.Tokenizer with
            {
                AddedTokens = new Dictionary<string, int>(TinyModel.Manifest.Tokenizer.AddedTokens) { ["[PAD]"] = 517 },
                SpecialTokens = new Dictionary<string, string> { ["pad_token"] = "[PAD]" },
            },
        };
        var template = PromptTemplate.FromManifest(manifest);
        Assert.DoesNotContain("[PAD]", template.ReservedTokens);
        Assert.Contains("<bbox>", template.ReservedTokens);
        Assert.Equal("What is region1 <bbox> [PAD]?", new Conversation(template).AddTurn("What is <region1> [PAD]?", 1));
    }
}
