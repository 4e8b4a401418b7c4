using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;
using GPT4RoI.Core.Tests.Engine;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Services;

[Collection("engine")]
public sealed class QueryServiceTests(EngineFixture fixture)
{
    private static readonly BoundingBox Circle = new(95, 70, 215, 190);

    private static QueryInput Input(string question = "What is <region1>?", byte[]? image = null) =>
        new(image ?? File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", question, [Circle], GenerationOptions.Greedy);

    [Fact]
    public async Task AskAsync_SampleQuestion_AnswersWithImageAndModel()
    {
        var service = new QueryService(fixture.Engine, ImageLimits.Default, QueryAdmission.Unbounded);

        var answer = await service.AskAsync(Input());

        Assert.Equal("a red circle", answer.Answer);
        Assert.Equal(1, answer.Regions.Single().Region);
        Assert.Equal(fixture.Engine.ModelId, answer.Model.Id);
        Assert.Equal((522, 315), (answer.Image.Width, answer.Image.Height));
    }

    [Fact]
    public async Task StreamAsync_SampleQuestion_DeltasAddUpToTheAnswerThenCompletes()
    {
        var service = new QueryService(fixture.Engine, ImageLimits.Default, QueryAdmission.Unbounded);

        var events = new List<QueryEvent>();
        await foreach (var e in service.StreamAsync(Input()))
        {
            events.Add(e);
        }

        var completed = Assert.IsType<QueryCompleted>(events[^1]);
        Assert.Equal("a red circle", completed.Answer.Answer);
        Assert.Equal(completed.Answer.Answer, string.Concat(events.OfType<AnswerDelta>().Select(d => d.Text)).Trim());
        Assert.All(events.Take(events.Count - 1), e => Assert.IsType<AnswerDelta>(e));
    }

    [Fact]
    public async Task StreamAsync_BadImage_ThrowsBeforeAnyEvent()
    {
        var service = new QueryService(fixture.Engine, ImageLimits.Default, QueryAdmission.Unbounded);

        var ex = await Assert.ThrowsAsync<ImageInputException>(async () =>
        {
            await foreach (var _ in service.StreamAsync(Input(image: [1, 2, 3])))
            {
                Assert.Fail("no event expected");
            }
        });

        Assert.Equal(ErrorCode.UnsupportedImage, ex.Code);
    }

    [Fact]
    public async Task AskAsync_NoRoom_RefusedAsBusyWithRetryAfter()
    {
        using var admission = new QueryAdmission(0, TimeSpan.Zero, TimeSpan.FromSeconds(7));
        var service = new QueryService(fixture.Engine, ImageLimits.Default, admission);

        var ex = await Assert.ThrowsAsync<Gpt4RoIException>(() => service.AskAsync(Input()));

        Assert.Equal(ErrorCode.Busy, ex.Code);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
    }

    [Fact]
    public async Task StreamAsync_ReaderStopsEarly_AdmissionSlotIsGivenBack()
    {
        using var admission = new QueryAdmission(1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        var service = new QueryService(fixture.Engine, ImageLimits.Default, admission);

        await foreach (var _ in service.StreamAsync(Input()))
        {
            break;
        }

        // The worker finishes alone and gives the slot back; a second question then gets it.
        var answer = await service.AskAsync(Input());
        Assert.Equal("a red circle", answer.Answer);
        Assert.Equal(0, admission.InUse);
    }

    [Fact]
    public void AnswerNext_RecordedHistory_NumbersNewRegionsOn()
    {
        var service = new ConversationService(fixture.Engine, ImageLimits.Default);
        var history = new[] { new RecordedTurn("What is <region1>?", [Circle], "a red circle") };

        var next = service.AnswerNext(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", history,
            "What color is <region2>?", [new BoundingBox(232, 12, 348, 128)], GenerationOptions.Greedy);

        Assert.Equal(2, next.FirstRegion);
        Assert.Equal("green", next.Result.Answer);
    }

    [Fact]
    public void AnswerNext_DeltaCallback_DeltasAddUpToTheRecordedAnswer()
    {
        var service = new ConversationService(fixture.Engine, ImageLimits.Default);
        var deltas = new List<AnswerDelta>();

        var next = service.AnswerNext(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", [], "What is <region1>?", [Circle],
            GenerationOptions.Greedy, deltas.Add);

        Assert.Equal("a red circle", next.Result.Answer);
        Assert.NotEmpty(deltas);
        Assert.Equal(next.Result.Answer, string.Concat(deltas.Select(d => d.Text)).Trim());
        Assert.All(deltas, d => Assert.Contains(d.TokenId, next.Result.GeneratedTokenIds));
    }

    [Theory]
    [InlineData("What is <region1>?", 95, 70, 215, 190, null)]
    [InlineData(null, 95, 70, 215, 190, null)]
    [InlineData("What is <region1>? <im_patch>", 95, 70, 215, 190, ErrorCode.InvalidQuestion)]
    [InlineData("What is <region1> and <region2>?", 95, 70, 215, 190, ErrorCode.InvalidQuestion)]
    [InlineData("What is <region1>?", 600, 400, 700, 500, ErrorCode.InvalidRegion)]
    [InlineData("What is <region1>?", 215, 70, 95, 190, ErrorCode.InvalidRegion)]
    public void CheckOpening_FirstQuestionAndBox_RefusedAsTheEngineWould(string? question, double x1, double y1, double x2, double y2, ErrorCode? expected)
    {
        var service = new ConversationService(fixture.Engine, ImageLimits.Default);
        var image = File.ReadAllBytes(RepoPaths.SampleImage);
        BoundingBox[] boxes = question is null ? [] : [new BoundingBox(x1, y1, x2, y2)];

        var error = Record.Exception(() => service.CheckOpening(image, "shapes.png", question, boxes));

        Assert.Equal(expected, (error as Gpt4RoIException)?.Code);
        if (expected is not null && question is not null)
        {
            // The engine refuses the same turn with the same code.
            var engine = Record.Exception(() => service.AnswerNext(image, "shapes.png", [], question, boxes, GenerationOptions.Greedy));
            Assert.Equal(expected, Assert.IsAssignableFrom<Gpt4RoIException>(engine).Code);
        }
    }

    [Fact]
    public void CheckOpening_NotAnImage_RefusedBeforeAnything()
    {
        var service = new ConversationService(fixture.Engine, ImageLimits.Default);

        var error = Assert.IsAssignableFrom<Gpt4RoIException>(Record.Exception(() => service.CheckOpening("not an image"u8.ToArray(), "notes.png", null, [])));

        Assert.Equal(ErrorCode.UnsupportedImage, error.Code);
    }
}
