using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

public class AnswerTextTests
{
    [Theory]
    [InlineData("Assistant: a red circle\n###", "a red circle")]
    [InlineData("Assistant:a red circle", "a red circle")]
    [InlineData("  a blue square  \n### Human: more", "a blue square")]
    [InlineData("left of ### Assistant: right", "left of")]
    [InlineData("Assistant: Assistant: x", "x")]
    [InlineData("\u001f x \u3000", "x")]
    [InlineData("", "")]
    [InlineData("###", "")]
    public void Clean_GeneratedText_MatchesCleanAnswer(string generated, string expected)
    {
        Assert.Equal(expected, AnswerText.Clean(generated, TinyModel.Template));
    }
}

public class StopDetectorTests
{
    [Fact]
    public void IsStopped_TextWithSeparator_ReturnsTrue()
    {
        Assert.True(new StopDetector(TinyModel.Template.StopStrings).IsStopped("a red circle\n###"));
        Assert.False(new StopDetector(TinyModel.Template.StopStrings).IsStopped("a red circle\n##"));
        Assert.Equal(13, new StopDetector(TinyModel.Template.StopStrings).IndexOf("a red circle\n###"));
    }

    [Fact]
    public void IndexOf_SearchFrom_FindsStopSpanningOldAndNewText()
    {
        var detector = new StopDetector(TinyModel.Template.StopStrings);
        var previous = "answer\n##";
        var now = previous + "# Human";
        Assert.Equal(7, detector.IndexOf(now, Math.Max(0, previous.Length - detector.MaxLength + 1)));
    }

    [Theory]
    [InlineData("a red circle", 12)]
    [InlineData("a red circle\n#", 13)]
    [InlineData("a red circle\n##", 13)]
    [InlineData("a red circle\n###", 13)]
    [InlineData("#a", 2)]
    public void StableLength_PartialStopAtEnd_IsHeldBack(string text, int expected)
    {
        Assert.Equal(expected, new StopDetector(TinyModel.Template.StopStrings).StableLength(text));
    }

    [Fact]
    public void Constructor_EmptyStopString_Throws()
    {
        Assert.Throws<ArgumentException>(() => new StopDetector(["###", ""]));
        Assert.Throws<ArgumentException>(() => new StopDetector([]));
    }

    [Fact]
    public void IndexOf_SeveralStopStrings_ReturnsEarliest()
    {
        var detector = new StopDetector(["###", "</s>"]);
        Assert.Equal(2, detector.IndexOf("ab</s>cd###"));
        Assert.Equal(2, detector.IndexOf("ab###cd</s>"));
    }
}
