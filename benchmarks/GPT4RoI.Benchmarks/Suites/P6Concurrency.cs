using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P6: concurrency. 8 and 32 questions (each its own conversation about samples/shapes.png, mixed regions and
/// wordings, 32-token answers) on one engine: all at once (the decode loop batches them, up to the engine's batch
/// capacity) against the same questions one after another on the same engine. Figure: sequential seconds /
/// concurrent seconds = throughput ratio, goal at least 2.5 at 8. The image is encoded once beforehand (the feature
/// cache is on), so both sides time region embedding, prefill and decoding.
/// </summary>
public static class P6Concurrency
{
    public const string Id = "P6";

    private const int AnswerTokens = 32;

    private static readonly (string Question, BoundingBox Box)[] Questions =
    [
        ("What is <region1>?", new(95, 70, 215, 190)),
        ("What color is <region1>?", new(232, 12, 348, 128)),
        ("What shape is <region1>?", new(396, 130, 476, 212)),
        ("What is <region1>?", new(232, 12, 348, 128)),
        ("What color is <region1>?", new(396, 130, 476, 212)),
        ("What shape is <region1>?", new(95, 70, 215, 190)),
        ("What is <region1>?", new(396, 130, 476, 212)),
        ("What color is <region1>?", new(95, 70, 215, 190)),
    ];

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var results = new JsonArray();
        using var image = EngineBench.DecodeSample();
        var options = EngineBench.FixedLength(AnswerTokens);
        foreach (var threads in context.Threads)
        {
            foreach (var (count, maxBatch) in context.Quick ? [(8, 8)] : new[] { (8, 8), (32, 8), (32, 32) })
            {
                using var engine = EngineBench.Engine(threads, maxBatch);
                engine.EncodeImage(image);
                var sequential = EngineBench.Repeat(context, () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    for (var i = 0; i < count; i++)
                    {
                        var (question, box) = Questions[i % Questions.Length];
                        using var session = engine.StartSession(image);
                        session.Ask(question, [box], options);
                    }

                    return EngineBench.Seconds(started);
                });
                var batches = new List<double>();
                var concurrent = EngineBench.Repeat(context, () =>
                {
                    var before = engine.DecodeStatistics;
                    var started = Stopwatch.GetTimestamp();
                    var tasks = new Task[count];
                    for (var i = 0; i < count; i++)
                    {
                        var (question, box) = Questions[i % Questions.Length];
                        tasks[i] = Task.Run(async () =>
                        {
                            using var session = engine.StartSession(image);
                            await session.AskAsync(question, [box], options).ConfigureAwait(false);
                        });
                    }

                    Task.WaitAll(tasks);
                    var seconds = EngineBench.Seconds(started);
                    var after = engine.DecodeStatistics;
                    batches.Add((double)(after.StepTokens - before.StepTokens) / Math.Max(1, after.Steps - before.Steps));
                    return seconds;
                });
                var seq = EngineBench.Median(sequential);
                var conc = EngineBench.Median(concurrent);
                results.Add(new JsonObject
                {
                    ["questions"] = count,
                    ["max_batch"] = engine.BatchCapacity,
                    ["threads"] = threads,
                    ["answer_tokens"] = AnswerTokens,
                    ["sequential_median_s"] = seq,
                    ["concurrent_median_s"] = conc,
                    ["sequential_tokens_per_s"] = count * AnswerTokens / seq,
                    ["concurrent_tokens_per_s"] = count * AnswerTokens / conc,
                    ["average_batch"] = EngineBench.Median(batches.Skip(batches.Count - concurrent.Length).ToArray()),
                    ["ratio"] = seq / conc,
                    ["iterations"] = concurrent.Length,
                });
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[csharp] P6 {count} questions, batch {engine.BatchCapacity}, threads={threads}: sequential {seq:0.000} s, concurrent {conc:0.000} s ({seq / conc:0.00}x)"));
            }
        }

        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["timing"] = EngineBench.Timing(context),
            ["results"] = results,
        };
    }
}
