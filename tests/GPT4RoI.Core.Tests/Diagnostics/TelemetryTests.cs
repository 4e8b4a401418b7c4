using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;
using GPT4RoI.TestSupport;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GPT4RoI.Core.Tests.Diagnostics;

/// <summary>
/// The engine's spans and metrics as an OpenTelemetry SDK sees them (in-memory exporters). The activity source and
/// meter are process-wide, so these tests run alone (no other test adds spans or measurements meanwhile).
/// </summary>
[Collection("telemetry")]
public sealed class TelemetryTests
{
    private static readonly BoundingBox Circle = new(95, 70, 215, 190);
    private static readonly BoundingBox Square = new(232, 12, 348, 128);

    private static QueryInput Input(string question, BoundingBox box) =>
        new(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png", question, [box], GenerationOptions.Greedy);

    private static long Sum(IEnumerable<Metric> metrics, string name, string? tagValue = null)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var matches = tagValue is null;
                foreach (var tag in point.Tags)
                {
                    matches |= Equals(tag.Value, tagValue);
                }

                if (matches)
                {
                    total += metric.MetricType == MetricType.LongSum ? point.GetSumLong() : point.GetHistogramCount();
                }
            }
        }

        return total;
    }

    private static double HistogramSum(IEnumerable<Metric> metrics, string name)
    {
        var total = 0.0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                total += point.GetHistogramSum();
            }
        }

        return total;
    }

    [Fact]
    public async Task Query_TwoQuestionsAndATurn_SpansNestAndMetricsCount()
    {
        var spans = new List<Activity>();
        var exported = new List<Metric>();
        List<Metric> metrics;
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Gpt4RoITelemetry.Name).AddInMemoryExporter(spans).Build())
        using (var metering = Sdk.CreateMeterProviderBuilder().AddMeter(Gpt4RoITelemetry.Name).AddInMemoryExporter(exported).Build())
        using (var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = TinyModel.Path }))
        {
            using var admission = new QueryAdmission(4, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
            var queries = new QueryService(engine, ImageLimits.Default, admission);

            // 1: the image is new (vision graph runs); 2: streamed, same image (cache hit); 3: a stored conversation's turn.
            Assert.Equal("a red circle", (await queries.AskAsync(Input("What is <region1>?", Circle))).Answer);
            var streamed = new List<QueryEvent>();
            await foreach (var e in queries.StreamAsync(Input("What color is <region1>?", Square)))
            {
                streamed.Add(e);
            }

            Assert.IsType<QueryCompleted>(streamed[^1]);
            var turn = new ConversationService(engine, ImageLimits.Default).AnswerNext(File.ReadAllBytes(RepoPaths.SampleImage), "shapes.png",
                [new RecordedTurn("What is <region1>?", [Circle], "a red circle")], "What color is <region2>?", [Square], GenerationOptions.Greedy);
            Assert.Equal("green", turn.Result.Answer);

            tracing.ForceFlush();
            metering.ForceFlush();
            // The provider exports once more when it is disposed: keep this flush's metrics only.
            metrics = [.. exported];
        }

        // One request span each, with the stages as its children.
        var requests = spans.Where(s => s.OperationName is Gpt4RoITelemetry.QuerySpan or Gpt4RoITelemetry.ConversationTurnSpan).ToList();
        Assert.Equal([Gpt4RoITelemetry.QuerySpan, Gpt4RoITelemetry.QuerySpan, Gpt4RoITelemetry.ConversationTurnSpan], requests.OrderBy(s => s.StartTimeUtc).Select(s => s.OperationName));
        List<string> ChildrenOf(Activity parent) =>
            spans.Where(s => s.ParentSpanId == parent.SpanId && s.TraceId == parent.TraceId).Select(s => s.OperationName).Order(StringComparer.Ordinal).ToList();
        var ordered = requests.OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal([Gpt4RoITelemetry.GenerateSpan, Gpt4RoITelemetry.ImageDecodeSpan, Gpt4RoITelemetry.RegionHeadSpan, Gpt4RoITelemetry.RoiAlignSpan, Gpt4RoITelemetry.VisionSpan],
            ChildrenOf(ordered[0]));
        Assert.Equal([Gpt4RoITelemetry.GenerateSpan, Gpt4RoITelemetry.ImageDecodeSpan, Gpt4RoITelemetry.RegionHeadSpan, Gpt4RoITelemetry.RoiAlignSpan], ChildrenOf(ordered[1]));
        // The conversation replays turn 1 (its box: RoIAlign + head), then asks turn 2 (the new box, then generation).
        Assert.Equal([Gpt4RoITelemetry.GenerateSpan, Gpt4RoITelemetry.ImageDecodeSpan, Gpt4RoITelemetry.RegionHeadSpan, Gpt4RoITelemetry.RegionHeadSpan,
            Gpt4RoITelemetry.RoiAlignSpan, Gpt4RoITelemetry.RoiAlignSpan], ChildrenOf(ordered[2]));
        var decode = spans.First(s => s.OperationName == Gpt4RoITelemetry.ImageDecodeSpan);
        Assert.Equal("png", decode.GetTagItem("gpt4roi.image.format"));
        Assert.Equal(522, decode.GetTagItem("gpt4roi.image.width"));
        Assert.Equal("miss", ordered[0].GetTagItem(Gpt4RoITelemetry.CacheResultTag));
        Assert.Equal("hit", ordered[1].GetTagItem(Gpt4RoITelemetry.CacheResultTag));
        Assert.Equal(true, ordered[1].GetTagItem("gpt4roi.stream"));
        var generate = spans.Where(s => s.OperationName == Gpt4RoITelemetry.GenerateSpan).ToList();
        Assert.Equal(3, generate.Count);
        Assert.All(generate, g => Assert.Equal("StopString", g.GetTagItem("gpt4roi.stop_reason")));
        Assert.All(generate, g => Assert.True(g.Duration > TimeSpan.Zero));
        // A span ends within its parent.
        Assert.All(generate, g =>
        {
            var parent = requests.Single(r => r.SpanId == g.ParentSpanId);
            Assert.True(g.StartTimeUtc + g.Duration <= parent.StartTimeUtc + parent.Duration, $"{g.OperationName} outlives {parent.OperationName}");
        });

        var generated = generate.Sum(g => (int)g.GetTagItem("gpt4roi.generated_tokens")!);
        Assert.Equal(generated, Sum(metrics, "gpt4roi.tokens.generated"));
        Assert.True(Sum(metrics, "gpt4roi.tokens.prompt") > 300);
        Assert.Equal(3, Sum(metrics, "gpt4roi.generation.duration"));
        Assert.Equal(3, Sum(metrics, "gpt4roi.generation.tokens_per_second"));
        Assert.True(HistogramSum(metrics, "gpt4roi.generation.tokens_per_second") > 0);
        Assert.Equal(2, Sum(metrics, "gpt4roi.queue.wait", "admission"));
        Assert.Equal(3, Sum(metrics, "gpt4roi.queue.wait", "decode"));
        Assert.Equal(1, Sum(metrics, "gpt4roi.image_cache.lookups", "miss"));
        Assert.Equal(2, Sum(metrics, "gpt4roi.image_cache.lookups", "hit"));
        // Every token after each answer's first is one batched step's work.
        Assert.Equal(generated - 3, HistogramSum(metrics, "gpt4roi.decode.batch_size"));
    }

    [Fact]
    public void Instruments_NoListener_NothingRecordedAndNoSpans()
    {
        Assert.False(Gpt4RoITelemetry.Source.HasListeners());
        Assert.False(Gpt4RoITelemetry.BatchSize.Enabled);
        Assert.Null(Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.QuerySpan));
    }
}

[CollectionDefinition("telemetry", DisableParallelization = true)]
public sealed class TelemetryGroup;
