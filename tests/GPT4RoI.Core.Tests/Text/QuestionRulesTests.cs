using System.Text.Json;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

/// <summary>
/// The manifest's <c>prompt.question_rules</c> against the reference's <c>Conversation</c>: every conversation of
/// models/goldens/engine_rules/question_rules.json (made by <c>python3 -m gpt4roi_ref.golden_engine_rules</c>) gives
/// the same expanded questions, the same error messages and the same <c>&lt;bbox&gt;</c> region order.
/// </summary>
public sealed class QuestionRulesTests
{
    private static string GoldenPath => Path.Combine(RepoPaths.Root, "models", "goldens", "engine_rules", "question_rules.json");

    public static TheoryData<string> Cases() => Goldens.CaseNames(GoldenPath);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AddTurn_ReferenceConversation_SameExpansionErrorsAndRegions(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(GoldenPath));
        var c = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var conversation = new Conversation(TinyModel.Template);
        foreach (var turn in c.GetProperty("turns").EnumerateArray())
        {
            var question = turn.GetProperty("question").GetString()!;
            var boxes = turn.GetProperty("new_boxes").GetInt32();
            if (turn.TryGetProperty("error", out var error))
            {
                var ex = Assert.Throws<PromptException>(() => conversation.AddTurn(question, boxes));
                Assert.Equal(error.GetString(), ex.Message);
                break;
            }

            Assert.Equal(turn.GetProperty("expanded").GetString(), conversation.AddTurn(question, boxes));
            conversation.SetAnswer("ok");
        }

        Assert.Equal(c.GetProperty("bbox_regions").EnumerateArray().Select(e => e.GetInt32()), conversation.BboxRegions);
    }

    [Fact]
    public void Template_TinyManifest_CarriesTheOfficialRules()
    {
        var rules = TinyModel.Template.QuestionRules;
        Assert.NotNull(rules);
        Assert.True(rules.Strip);
        Assert.Equal("hello, world!", rules.EmptyQuestion);
        Assert.Equal("<{n}>", rules.ShortTag);
        Assert.Equal("<>", rules.AnonymousTag);
        Assert.True(rules.FirstTurnNeedsRegion);
    }

    [Fact]
    public void AddTurn_NoRules_QuestionKeptAsTyped()
    {
        var conversation = new Conversation(TinyModel.Template with { QuestionRules = null });
        Assert.Equal("  hi <1> <>  ", conversation.AddTurn("  hi <1> <>  ", 0));
    }

    [Fact]
    public void AddTurn_RulesFromAnotherManifest_UsesItsSpelling()
    {
        var rules = new QuestionRulesSpec { Strip = false, EmptyQuestion = "hi", ShortTag = "[r{n}]", AnonymousTag = "[?]", FirstTurnNeedsRegion = false };
        var conversation = new Conversation(TinyModel.Template with { QuestionRules = rules });
        Assert.Equal(" region1 <bbox> and <bbox> <1>", conversation.AddTurn(" [r1] and [?] <1>", 2));
        Assert.Equal([0, 1], conversation.BboxRegions);
        conversation.SetAnswer("ok");
        Assert.Equal("hi", conversation.AddTurn("", 0));
    }

    [Fact]
    public void RemoveUnansweredTurn_AfterAnonymousBox_FreesItsNumber()
    {
        var conversation = new Conversation(TinyModel.Template);
        conversation.AddTurn("What is <>?", 1);
        conversation.RemoveUnansweredTurn();
        Assert.Equal(0, conversation.BoxCount);
        Assert.Equal("What is region1 <bbox>?", conversation.AddTurn("What is <1>?", 1));
    }
}
