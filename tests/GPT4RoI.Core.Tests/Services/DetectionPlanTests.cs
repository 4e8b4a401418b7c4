using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Services;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Services;

public sealed class DetectionPlanTests
{
    private static readonly DetectionPromptSpec CliDemo = new()
    {
        Mode = DetectionPromptSpec.OfficialCliDemo,
        ImageIntro = "The <image> describes the entire picture, while <spi_descript> describes specific regions within the image.\n",
        RegionsPlaceholder = "<spi_descript>",
        RegionText = "<bbox>",
        ScoreThreshold = 0.3,
        MaxRegions = 100,
        MinBoxSideNormalized = 0.02,
        FallbackFirst = 10,
    };

    private static DetectedObject Det(double score, double x1, double y1, double x2, double y2, string label = "circle") =>
        new(new BoundingBox(x1, y1, x2, y2), (float)score, 0, label, new BoundingBox(x1, y1, x2, y2), 0);

    [Fact]
    public void Select_PerRegion_DropsTinyBoxesAndCapsAtTheRegionLimit()
    {
        var dets = Enumerable.Range(0, 40).Select(i => Det(0.9 - (i * 0.01), i, 0, i + 10, 10)).Append(Det(0.5, 0, 0, 1, 50)).ToList();

        var (selected, skipped) = DetectionPlan.Select(dets, null, 100, 100, null, BoxPolicy.Default.MaxRegions);

        Assert.Equal(32, selected.Count);
        Assert.Equal(9, skipped);
        Assert.Equal(dets.Take(32), selected);
    }

    [Fact]
    public void Select_CliDemo_ScoreStrictlyAboveAndNormalisedSideAbove002()
    {
        var dets = new List<DetectedObject>
        {
            Det(0.9, 0, 0, 50, 50),
            Det(0.25, 0, 0, 50, 50),       // score not > 0.3 (a float32 0.3f would pass: 0.30000001 > 0.3)
            Det(0.8, 0, 0, 2, 50),         // width 2/100 = 0.02, not > 0.02
            Det(0.7, 10, 10, 13, 13),      // 0.03 > 0.02
        };

        var (selected, _) = DetectionPlan.Select(dets, CliDemo, 100, 100, null, 32, minBoxSide: 1);

        Assert.Equal([dets[0], dets[3]], selected);
    }

    [Fact]
    public void Select_CliDemoNothingLeft_FallsBackToTheFirstTenUnfiltered()
    {
        var dets = Enumerable.Range(0, 12).Select(i => Det(0.2, 0, 0, 50, 50)).ToList();

        var (selected, _) = DetectionPlan.Select(dets, CliDemo, 100, 100, null, 32);

        Assert.Equal(10, selected.Count);
    }

    [Fact]
    public void OneTurnIntro_CliDemoAndDetLlava_ReadAsTheOfficialStrings()
    {
        var dets = new[] { Det(0.9, 0, 0, 50, 50, "cat"), Det(0.8, 0, 0, 50, 50, "dog") };
        var detLlava = CliDemo with
        {
            Mode = DetectionPromptSpec.DetLlava,
            ImageIntro = "The <image> provides an overview of the picture. Here is also some regional information about the image, such as <spi_descript>.\n",
            RegionText = "<bbox> may feature a {class_name},",
        };

        Assert.Equal("The <image> describes the entire picture, while <bbox><bbox> describes specific regions within the image.\n",
            DetectionPlan.OneTurnIntro(CliDemo, dets));
        Assert.Equal("The <image> provides an overview of the picture. Here is also some regional information about the image, such as <bbox> may feature a cat,<bbox> may feature a dog,.\n",
            DetectionPlan.OneTurnIntro(detLlava, dets));
    }

    [Fact]
    public void AddDetectionTurn_CliDemo_BuildsTheOfficialFirstTurn()
    {
        var conversation = new Conversation(TinyModel.Template);
        var intro = DetectionPlan.OneTurnIntro(CliDemo, [Det(0.9, 0, 0, 50, 50), Det(0.8, 0, 0, 50, 50), Det(0.7, 0, 0, 50, 50)]);

        conversation.AddDetectionTurn("What is in the picture?", intro, 3);
        var prompt = conversation.BuildPrompt(4);

        var t = TinyModel.Template;
        Assert.Contains(t.HumanPrefix + "The " + t.ImageTokens(4) + " describes the entire picture, while <bbox><bbox><bbox> describes specific regions within the image.\nWhat is in the picture?" + t.TurnSuffix,
            prompt, StringComparison.Ordinal);
        Assert.Equal([0, 1, 2], conversation.BboxRegions);
        Assert.Equal(3, conversation.BoxCount);
    }

    [Fact]
    public void AddDetectionTurn_QuestionNamesARegion_IsRefused()
    {
        var conversation = new Conversation(TinyModel.Template);

        Assert.Throws<PromptException>(() => conversation.AddDetectionTurn("What is <region1>?", DetectionPlan.OneTurnIntro(CliDemo, [Det(0.9, 0, 0, 50, 50)]), 1));
        Assert.Empty(conversation.Turns);
    }
}
