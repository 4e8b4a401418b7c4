using System.Text.Json;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Inference;

/// <summary>The batched decode loop: answers equal the unbatched ones token for token, and a steady-state step
/// allocates (almost) nothing.</summary>
public sealed class DecodeSchedulerTests
{
    private static readonly BoundingBox[] Boxes = [new(95, 70, 215, 190), new(232, 12, 348, 128), new(396, 130, 476, 212)];
    private static readonly string[] Questions = ["What is <region1>?", "What color is <region1>?", "What shape is <region1>?"];

    private static Gpt4RoIEngine Engine(int maxBatch) => new(new EngineOptions { ModelPath = TinyModel.Path, MaxBatch = maxBatch });

    private static DecodedImage Sample() => ImageDecoder.Decode(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", ImageLimits.Default);

    /// <summary>Nine fixed-length answers (40 tokens each, so they overlap in the batch) on one engine.</summary>
    private static async Task<IReadOnlyList<int>[]> NineAnswersAsync(Gpt4RoIEngine engine, bool together)
    {
        using var image = Sample();
        var options = new GenerationOptions { MinNewTokens = 40, MaxNewTokens = 40 };
        var sessions = Enumerable.Range(0, 9).Select(_ => engine.StartSession(image)).ToArray();
        var results = new IReadOnlyList<int>[9];
        try
        {
            if (together)
            {
                var generators = sessions.Select((s, i) => s.StartTurn(Questions[i % 3], [Boxes[i / 3]], options)).ToArray();
                for (var i = 0; i < 9; i++)
                {
                    results[i] = (await generators[i].Completion).GeneratedTokenIds;
                }
            }
            else
            {
                for (var i = 0; i < 9; i++)
                {
                    results[i] = (await sessions[i].AskAsync(Questions[i % 3], [Boxes[i / 3]], options)).GeneratedTokenIds;
                }
            }
        }
        finally
        {
            foreach (var s in sessions)
            {
                s.Dispose();
            }
        }

        return results;
    }

    [Fact]
    public async Task Batch_NineConcurrentAnswers_EqualSequentialAnswersTokenForToken()
    {
        using var batched = Engine(maxBatch: 8);
        using var single = Engine(maxBatch: 1);

        var together = await NineAnswersAsync(batched, together: true);
        var alone = await NineAnswersAsync(single, together: false);

        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(alone[i], together[i]);
        }

        Assert.True(batched.DecodeStatistics.MaxBatch > 1, $"no step carried more than one answer: {batched.DecodeStatistics}");
        Assert.Equal(1, single.DecodeStatistics.MaxBatch);
    }

    [Fact]
    public async Task Batch_AllGoldenConversationsAtOnce_GiveTheReferenceTokens()
    {
        using var engine = Engine(maxBatch: 8);
        var cases = Goldens.Names();
        var runs = cases.Select(name => Task.Run(() => RunGolden(engine, name))).ToArray();
        var failures = (await Task.WhenAll(runs)).Where(f => f is not null).ToList();
        Assert.Empty(failures);
        Assert.True(engine.DecodeStatistics.Steps > 0);
    }

    private static string? RunGolden(Gpt4RoIEngine engine, string name)
    {
        var c = Goldens.ReadCase(name);
        var file = c.GetProperty("format").GetString() == "png" ? "image.png" : "image.jpg";
        using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(Goldens.CaseDir(name), file)), file, ImageLimits.Default);
        using var session = engine.StartSession(image);
        foreach (var turn in c.GetProperty("turns").EnumerateArray())
        {
            var boxes = turn.GetProperty("new_boxes").EnumerateArray()
                .Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray())
                .Select(v => new BoundingBox(v[0], v[1], v[2], v[3])).ToList();
            var result = session.Ask(turn.GetProperty("question").GetString()!, boxes);
            var expected = turn.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
            if (!expected.SequenceEqual(result.GeneratedTokenIds))
            {
                return $"{name}: got {JsonSerializer.Serialize(result.GeneratedTokenIds)}, reference {JsonSerializer.Serialize(expected)}";
            }
        }

        return null;
    }

    [Fact]
    public async Task Step_SteadyState_AllocatesAtMost256BytesPerToken()
    {
        using var engine = Engine(maxBatch: 4);
        using var image = Sample();
        using var session = engine.StartSession(image);

        var result = await session.AskAsync("What is <region1>?", [Boxes[0]], new GenerationOptions { MinNewTokens = 200, MaxNewTokens = 200 });

        var stats = engine.DecodeStatistics;
        Assert.Equal(200, result.GeneratedTokenIds.Count);
        Assert.Equal(199, stats.StepTokens);
        Assert.True(stats.AllocatedBytesPerToken <= 256, $"{stats.AllocatedBytesPerToken:0.0} bytes per token ({stats})");
    }

    [Fact]
    public async Task Step_OneAnswerAtATime_ComputesNoIdleRows()
    {
        using var engine = Engine(maxBatch: 4);
        using var image = Sample();

        // Answers one after another, each in a new conversation: each takes the lowest free slot, so no step pays for
        // the idle slots of earlier answers.
        for (var i = 0; i < 3; i++)
        {
            using var session = engine.StartSession(image);
            await session.AskAsync("What is <region1>?", [Boxes[i % Boxes.Length]], new GenerationOptions { MinNewTokens = 8, MaxNewTokens = 8 });
        }

        var stats = engine.DecodeStatistics;
        Assert.Equal(3 * 7, stats.StepTokens);
        Assert.Equal(stats.StepTokens, stats.StepRows);
    }

    [Fact]
    public async Task Step_LowSlotFinishesFirst_NarrowsToTheActiveSlots()
    {
        using var engine = Engine(maxBatch: 4);
        using var image = Sample();
        using var shortOne = engine.StartSession(image);
        using var longOne = engine.StartSession(image);

        var first = shortOne.StartTurn("What is <region1>?", [Boxes[0]], new GenerationOptions { MinNewTokens = 3, MaxNewTokens = 3 });
        var second = longOne.StartTurn("What is <region1>?", [Boxes[1]], new GenerationOptions { MinNewTokens = 40, MaxNewTokens = 40 });
        await Task.WhenAll(first.Completion, second.Completion);

        // Once the answer in slot 0 is done, the one in slot 1 steps alone: one row per token throughout.
        var stats = engine.DecodeStatistics;
        Assert.Equal(2 + 39, stats.StepTokens);
        Assert.Equal(stats.StepTokens, stats.StepRows);
    }

    [Fact]
    public async Task Turn_SameConversation_ReusesItsKeysAndValues()
    {
        using var engine = Engine(maxBatch: 2);
        using var image = Sample();
        using var session = engine.StartSession(image);
        var first = await session.AskAsync("What is <region1>?", [Boxes[0]]);

        var second = await session.AskAsync("What color is <region2>?", [Boxes[1]]);

        Assert.Equal(0, first.ReusedPromptTokens);
        Assert.True(second.ReusedPromptTokens > 300, $"reused {second.ReusedPromptTokens} of {second.PromptTokenIds.Count}");
        Assert.Equal("green", second.Answer);
    }
}
