using System.Text.Json;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

/// <summary>Every turn of every golden case: the C# conversation and tokenizer rebuild the Python reference's prompt ids.</summary>
public class GoldenPromptTests
{
    private const int NumPatches = 256;

    public static TheoryData<string> CaseNames() => [.. TextTestData.GoldenCaseNames()];

    private static JsonElement[] Turns(string caseName) =>
        [.. TextTestData.ReadJson(Path.Combine(TextTestData.GoldenDir, caseName, "case.json")).GetProperty("turns").EnumerateArray()];

    [Fact]
    public void GoldenIndex_ListsCases_AllHaveTurns()
    {
        var names = TextTestData.GoldenCaseNames();
        Assert.Equal(9, names.Count);
        Assert.Equal(13, names.Sum(n => Turns(n).Length));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void BuildPrompt_GoldenCaseEveryTurn_MatchesPromptIdsExpansionAndBboxRegions(string caseName)
    {
        var conversation = new Conversation(TinyModel.Template);
        var turns = Turns(caseName);
        Assert.NotEmpty(turns);
        for (var t = 0; t < turns.Length; t++)
        {
            var turn = turns[t];
            if (t > 0)
            {
                conversation.SetAnswer(turns[t - 1].GetProperty("answer").GetString()!);
            }

            var expanded = conversation.AddTurn(turn.GetProperty("question").GetString()!, turn.GetProperty("new_boxes").GetArrayLength());

            Assert.Equal(turn.GetProperty("expanded").GetString(), expanded);
            Assert.Equal(TextTestData.Ints(turn.GetProperty("bbox_regions")), conversation.BboxRegions);
            var ids = TextTestData.Tokenizer.Encode(conversation.BuildPrompt(NumPatches));
            Assert.Equal(TextTestData.Ints(turn.GetProperty("prompt_ids")), ids);
            Assert.Equal(conversation.BboxRegions.Count, ids.Count(i => i == TextTestData.Tokenizer.GetAddedTokenId("<bbox>")));
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void DecodeAndClean_GoldenGreedyIds_GiveTextAndAnswer(string caseName)
    {
        foreach (var turn in Turns(caseName))
        {
            var text = TextTestData.Tokenizer.Decode(TextTestData.Ints(turn.GetProperty("greedy_ids")));
            Assert.Equal(turn.GetProperty("text").GetString(), text);
            Assert.Equal(turn.GetProperty("answer").GetString(), AnswerText.Clean(text, TinyModel.Template));
            Assert.True(new StopDetector(TinyModel.Template.StopStrings).IsStopped(text));
        }
    }

    [Fact]
    public void PromptTemplate_FromManifest_TakesEveryPromptField()
    {
        var prompt = TextTestData.Manifest().GetProperty("prompt");
        var t = TinyModel.Template;
        string S(string name) => prompt.GetProperty(name).GetString()!;
        string[] L(string name) => [.. prompt.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

        Assert.Equal("conv_v1_2", S("template"));
        Assert.Equal(S("system"), t.System);
        Assert.Equal(S("system_suffix"), t.SystemSuffix);
        Assert.Equal(S("image_intro"), t.ImageIntro);
        Assert.Equal(S("image_placeholder"), t.ImagePlaceholder);
        var image = prompt.GetProperty("image_tokens");
        Assert.Equal(image.GetProperty("start").GetString(), t.ImageStartToken);
        Assert.Equal(image.GetProperty("patch").GetString(), t.ImagePatchToken);
        Assert.Equal(image.GetProperty("end").GetString(), t.ImageEndToken);
        Assert.Equal(S("human_prefix"), t.HumanPrefix);
        Assert.Equal(S("assistant_prefix"), t.AssistantPrefix);
        Assert.Equal(S("turn_suffix"), t.TurnSuffix);
        Assert.Equal(S("generation_prefix"), t.GenerationPrefix);
        Assert.Equal(S("region_token"), t.RegionToken);
        Assert.Equal(S("region_first_mention"), t.RegionFirstMention);
        Assert.Equal(S("region_later_mention"), t.RegionLaterMention);
        Assert.Equal(L("stop_strings"), t.StopStrings);
        Assert.Equal(L("strip_from_answer"), t.StripFromAnswer);
        Assert.Equal(TextTestData.AddedTokens().Keys.Order(StringComparer.Ordinal),
            t.ReservedTokens.Where(r => r != t.ImagePlaceholder).Order(StringComparer.Ordinal));
    }
}
