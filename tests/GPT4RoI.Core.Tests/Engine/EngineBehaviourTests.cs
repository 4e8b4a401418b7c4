using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Engine;

[Collection("engine")]
public sealed class EngineBehaviourTests(EngineFixture fixture)
{
    private static readonly BoundingBox Circle = new(95, 70, 215, 190);
    private static readonly BoundingBox Square = new(232, 12, 348, 128);
    private static readonly BoundingBox Triangle = new(396, 130, 476, 212);

    private static DecodedImage Sample() =>
        ImageDecoder.Decode(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", ImageLimits.Default);

    [Fact]
    public void Ask_SecondTurn_ReusesTheFirstTurnsKeys()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        var first = session.Ask("What is <region1>?", [Circle]);
        var second = session.Ask("Where is <region2> relative to <region1>?", [Triangle]);
        Assert.Equal("a red circle", first.Answer);
        Assert.Equal("right of", second.Answer);
        Assert.Equal(0, first.ReusedPromptTokens);
        Assert.True(second.ReusedPromptTokens >= first.PromptTokenIds.Count - 1, $"reused {second.ReusedPromptTokens}");
    }

    [Fact]
    public void Ask_CachedPrefix_SameTokensAndLogitsAsAFullPrefill()
    {
        using var image = Sample();
        using var cached = fixture.Engine.StartSession(image);
        cached.Ask("What is <region1>?", [Circle]);
        var withCache = cached.Ask("What color is <region2>?", [Square], captureFirstLogits: true);
        using var full = fixture.Engine.StartSession(image);
        full.Ask("What is <region1>?", [Circle]);
        full.ClearKeyValueCache();
        var withoutCache = full.Ask("What color is <region2>?", [Square], captureFirstLogits: true);
        Assert.True(withCache.ReusedPromptTokens > 200);
        Assert.Equal(0, withoutCache.ReusedPromptTokens);
        Assert.Equal(withoutCache.GeneratedTokenIds, withCache.GeneratedTokenIds);
        var max = withCache.FirstStepLogits!.Zip(withoutCache.FirstStepLogits!, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(max <= 1e-4, $"max logit difference {max}");
    }

    [Fact]
    public void Engine_ConcurrentSessions_GiveTheSequentialAnswers()
    {
        using var image = Sample();
        var questions = new (string Q, BoundingBox[] B, string A)[]
        {
            ("What is <region1>?", [Circle], "a red circle"),
            ("What color is <region1>?", [Square], "green"),
            ("What shape is <region1>?", [Triangle], "triangle"),
            ("Where is <region1> relative to <region2>?", [Circle, Triangle], "left of"),
        };
        var answers = new string[16];
        Parallel.For(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (q, b, _) = questions[i % questions.Length];
            using var s = fixture.Engine.StartSession(image);
            answers[i] = s.Ask(q, b).Answer;
        });
        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal(questions[i % questions.Length].A, answers[i]);
        }
    }

    [Fact]
    public void EncodeImage_SameBytesTwice_HitsTheCache()
    {
        using var image = Sample();
        var hits = fixture.Engine.Cache.Hits;
        var a = fixture.Engine.EncodeImage(image);
        var b = fixture.Engine.EncodeImage(image);
        Assert.Same(a, b);
        Assert.True(fixture.Engine.Cache.Hits > hits);
    }

    [Fact]
    public async Task StartTurn_ReadTokens_ConcatenateToTheRawTextAndTheAnswer()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        var streamed = new System.Text.StringBuilder();
        var answer = new System.Text.StringBuilder();
        var generator = session.StartTurn("What is <region1>?", [Circle]);
        await foreach (var t in generator.ReadTokensAsync())
        {
            streamed.Append(t.TextDelta);
            answer.Append(t.AnswerDelta);
        }

        var result = await generator.Completion;
        Assert.Equal(result.RawText, streamed.ToString());
        Assert.Equal(result.Answer, answer.ToString());
        Assert.Equal(StopReason.StopString, result.StopReason);
        Assert.Equal("a red circle", session.Conversation.Turns[^1].Answer);
    }

    [Fact]
    public async Task Stop_RequestedBeforeTheFirstToken_RecordsTheTextSoFarAndTheConversationGoesOn()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        // A long answer (600 tokens) asked to stop before it starts: it ends at its first token.
        var generator = session.StartTurn("What is <region1>?", [Circle], new GenerationOptions { MinNewTokens = 600, MaxNewTokens = 600 }, stopRequested: stop.Token);
        var streamed = new System.Text.StringBuilder();
        await foreach (var t in generator.ReadTokensAsync())
        {
            streamed.Append(t.AnswerDelta);
        }

        var result = await generator.Completion;
        Assert.Equal(StopReason.Stopped, result.StopReason);
        Assert.Single(result.GeneratedTokenIds);
        // The answer is what was shown: "Assistant:" held back while it was incomplete is not part of it.
        Assert.Equal(streamed.ToString(), result.Answer);
        Assert.DoesNotContain("Assistant", result.Answer, StringComparison.Ordinal);
        Assert.Equal(result.Answer, session.Conversation.Turns[^1].Answer);
        Assert.Equal("green", session.Ask("What color is <region2>?", [Square]).Answer);
    }

    [Fact]
    public async Task StartTurn_CancelledWhileGenerating_ThrowsAndLeavesTheConversationUnchanged()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        session.Ask("What is <region1>?", [Circle]);
        using var cts = new CancellationTokenSource();
        // A long answer (600 tokens), cancelled after its first token.
        var generator = session.StartTurn("What is <region2>?", [Square], new GenerationOptions { MinNewTokens = 600, MaxNewTokens = 600 }, cancellationToken: cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in generator.ReadTokensAsync())
            {
                await cts.CancelAsync();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.Completion);
        Assert.Single(session.Conversation.Turns);
        Assert.Single(session.Boxes);
        Assert.Equal("green", session.Ask("What color is <region2>?", [Square]).Answer);
    }

    [Fact]
    public void Ask_CancelledBeforeStart_ThrowsAndLeavesTheConversationUnchanged()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Ask("What is <region1>?", [Circle], cancellationToken: cts.Token));
        Assert.Empty(session.Conversation.Turns);
        Assert.Empty(session.Boxes);
    }

    [Fact]
    public void Ask_SampledDecoding_SameSeedSameAnswer()
    {
        using var image = Sample();
        var options = new GenerationOptions { Temperature = 0.8f, TopP = 0.9f, Seed = 42 };
        using var s1 = fixture.Engine.StartSession(image);
        using var s2 = fixture.Engine.StartSession(image);
        var a = s1.Ask("What is <region1>?", [Circle], options);
        var b = s2.Ask("What is <region1>?", [Circle], options);
        Assert.Equal(a.GeneratedTokenIds, b.GeneratedTokenIds);
    }

    [Fact]
    public void Ask_MaxNewTokens_StopsThere()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        var r = session.Ask("What is <region1>?", [Circle], new GenerationOptions { MaxNewTokens = 2 });
        Assert.Equal(2, r.GeneratedTokenIds.Count);
        Assert.Equal(StopReason.MaxNewTokens, r.StopReason);
    }

    [Fact]
    public void Ask_BadGenerationOptions_Rejected()
    {
        using var image = Sample();
        using var session = fixture.Engine.StartSession(image);
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Throws<Gpt4RoIException>(() => session.Ask("What is <region1>?", [Circle], new GenerationOptions { TopP = 0 })).Code);
        Assert.Empty(session.Conversation.Turns);
    }

    [Fact]
    public void Open_TamperedModelFile_NamesTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("gpt4roi-model-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(TinyModel.Path))
            {
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            }

            var bytes = File.ReadAllBytes(Path.Combine(dir, "region_head.onnx"));
            bytes[^10] ^= 0xFF;
            File.WriteAllBytes(Path.Combine(dir, "region_head.onnx"), bytes);
            var ex = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
            Assert.Contains("region_head.onnx", ex.Message, StringComparison.Ordinal);
            Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);

            File.Delete(Path.Combine(dir, "decoder.onnx"));
            ex = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir, verification: FileVerification.SizeOnly));
            Assert.Contains("decoder.onnx", ex.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(dir, "manifest.json"), """{"format": "gpt4roi-onnx", "format_version": 9}""");
            ex = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
            Assert.Contains("manifest.json", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CheckModelFiles_FileRewrittenAfterLoad_EveryLaterUseFailsUntilRestart()
    {
        using var dir = new TempDirectory();
        foreach (var f in Directory.GetFiles(TinyModel.Path))
        {
            File.Copy(f, dir.File(Path.GetFileName(f)));
        }

        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = dir.Path, ForceCpu = true });
        using var image = Sample();
        using var session = engine.StartSession(image);
        Assert.Equal("a red circle", session.Ask("What is <region1>?", [Circle]).Answer);
        Assert.Null(engine.CheckModelFiles());

        // Same size, new modification time: rewritten in place.
        var embeddings = dir.File(TinyModel.Manifest.Embeddings.File);
        var modified = File.GetLastWriteTimeUtc(embeddings);
        File.SetLastWriteTimeUtc(embeddings, modified.AddMinutes(1));

        var change = engine.CheckModelFiles();
        Assert.NotNull(change);
        Assert.Contains(TinyModel.Manifest.Embeddings.File, change, StringComparison.Ordinal);
        Assert.Contains("modified", change, StringComparison.Ordinal);
        var ex = Assert.Throws<ModelLoadException>(() => session.Ask("What color is <region2>?", [Square]));
        Assert.Equal(ErrorCode.ModelError, ex.Code);
        Assert.Contains("changed under the running engine", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ModelLoadException>(() => engine.StartSession(image));

        // Putting the time back does not make the engine trust the folder again.
        File.SetLastWriteTimeUtc(embeddings, modified);
        Assert.Equal(change, engine.CheckModelFiles());
        Assert.Null(engine.Folder.FindChange());
    }

    [Fact]
    public void Engine_ForceCpu_ReportsCpu()
    {
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = TinyModel.Path, ForceCpu = true });
        Assert.Equal("CPU", engine.ExecutionProvider);
    }
}
