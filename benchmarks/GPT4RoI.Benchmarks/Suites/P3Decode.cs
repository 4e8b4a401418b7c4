using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P3: decode speed of the tiny model, greedy, fixed answer length (16 and 64 tokens), the questions of the Python
/// baseline (benchmarks/python/p3_decode.py), at each thread count. The answer's first token comes from the prefill;
/// each later one is one batched decoder step of the engine's decode loop, so tokens/s = (answer tokens - 1) / decode
/// seconds (GenerationResult.DecodeMilliseconds), the same per-step rate the baseline reports. Also the managed bytes
/// allocated per generated token by the decode loop's steps (DecodeStatistics), goal at most 256.
/// </summary>
public static class P3Decode
{
    public const string Id = "P3";

    private static readonly int[] AnswerTokens = [16, 64];
    private static readonly int[] QuickAnswerTokens = [16];

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var results = new JsonArray();
        using var image = EngineBench.DecodeSample();
        foreach (var threads in context.Threads)
        {
            using var engine = EngineBench.Engine(threads);
            foreach (var (name, question, boxes) in EngineBench.Prompts)
            {
                foreach (var tokens in context.Quick ? QuickAnswerTokens : AnswerTokens)
                {
                    var options = EngineBench.FixedLength(tokens);
                    var prefill = new List<double>();
                    var promptTokens = 0;
                    var before = engine.DecodeStatistics;
                    var loop = EngineBench.Repeat(context, () =>
                    {
                        using var session = engine.StartSession(image);
                        var result = session.Ask(question, boxes, options);
                        prefill.Add(result.PrefillMilliseconds / 1e3);
                        promptTokens = result.PromptTokenIds.Count;
                        return result.DecodeMilliseconds / 1e3;
                    });
                    var after = engine.DecodeStatistics;
                    var steps = after.StepTokens - before.StepTokens;
                    var bytesPerToken = steps == 0 ? 0 : (double)(after.StepAllocatedBytes - before.StepAllocatedBytes) / steps;
                    var median = EngineBench.Median(loop);
                    var measuredPrefill = prefill.Skip(prefill.Count - loop.Length).ToArray();
                    results.Add(new JsonObject
                    {
                        ["prompt"] = name,
                        ["answer_tokens"] = tokens,
                        ["threads"] = threads,
                        ["impl"] = "csharp",
                        ["prompt_tokens"] = promptTokens,
                        ["prefill_median_s"] = EngineBench.Median(measuredPrefill),
                        ["loop_median_s"] = median,
                        ["loop_min_s"] = loop.Min(),
                        ["median_s"] = median / (tokens - 1),
                        ["min_s"] = loop.Min() / (tokens - 1),
                        ["tokens_per_s"] = (tokens - 1) / median,
                        ["allocated_bytes_per_token"] = bytesPerToken,
                        ["iterations"] = loop.Length,
                    });
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[csharp] P3 {name} answer={tokens} threads={threads}: {(tokens - 1) / median:0.0} tokens/s, {bytesPerToken:0.0} B/token"));
                }
            }
        }

        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["threads"] = new JsonArray(context.Threads.Select(t => (JsonNode)t).ToArray()),
            ["timing"] = EngineBench.Timing(context),
            ["results"] = results,
        };
    }
}
