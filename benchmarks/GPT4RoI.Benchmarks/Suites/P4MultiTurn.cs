using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P4: multi-turn. Turn 1 on a new conversation (image encoded: the engine's feature cache is off, region embeddings,
/// prefill of the whole prompt, the answer) against turn 2 of the same conversation with the same answer length
/// (features kept by the conversation, only the new region embedded, the earlier turn's keys/values reused so only the
/// new tokens are prefilled). Figure: turn-2 latency / turn-1 latency, goal at most 0.35.
/// </summary>
public static class P4MultiTurn
{
    public const string Id = "P4";

    private static readonly int[] AnswerTokens = [16, 64];
    private static readonly int[] QuickAnswerTokens = [16];
    private static readonly BoundingBox[] FirstBox = [new(95, 70, 215, 190)];
    private static readonly BoundingBox[] SecondBox = [new(396, 130, 476, 212)];

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var results = new JsonArray();
        using var image = EngineBench.DecodeSample();
        foreach (var threads in context.Threads)
        {
            using var engine = EngineBench.Engine(threads, imageCacheBytes: 0);
            foreach (var tokens in context.Quick ? QuickAnswerTokens : AnswerTokens)
            {
                var options = EngineBench.FixedLength(tokens);
                var second = new List<double>();
                var reused = 0;
                var first = EngineBench.Repeat(context, () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var session = engine.StartSession(image);
                    session.Ask("What is <region1>?", FirstBox, options);
                    var turn1 = EngineBench.Seconds(started);
                    started = Stopwatch.GetTimestamp();
                    var result = session.Ask("What is <region2>?", SecondBox, options);
                    second.Add(EngineBench.Seconds(started));
                    reused = result.ReusedPromptTokens;
                    return turn1;
                });
                var measuredSecond = second.Skip(second.Count - first.Length).ToArray();
                var t1 = EngineBench.Median(first);
                var t2 = EngineBench.Median(measuredSecond);
                results.Add(new JsonObject
                {
                    ["answer_tokens"] = tokens,
                    ["threads"] = threads,
                    ["turn1_median_s"] = t1,
                    ["turn1_min_s"] = first.Min(),
                    ["turn2_median_s"] = t2,
                    ["turn2_min_s"] = measuredSecond.Min(),
                    ["turn2_reused_prompt_tokens"] = reused,
                    ["ratio"] = t2 / t1,
                    ["iterations"] = first.Length,
                });
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[csharp] P4 answer={tokens} threads={threads}: turn 1 {t1 * 1e3:0.0} ms, turn 2 {t2 * 1e3:0.0} ms ({t2 / t1:P0}), {reused} prompt tokens reused"));
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
