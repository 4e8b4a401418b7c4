using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P5: glue. One end-to-end <c>ask</c> as the CLI and the services run it (decode the image bytes, encode the image
/// with the feature cache off, embed the regions, prefill, generate, clean the answer) against the time the same ask
/// spent inside ONNX Runtime (vision, region head, decoder prefill and steps: <see cref="Gpt4RoIEngine.OrtRunTimes"/>).
/// Glue = end-to-end - ONNX Runtime; figure: glue / end-to-end, goal at most 10%.
/// </summary>
public static class P5Glue
{
    public const string Id = "P5";

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var results = new JsonArray();
        var bytes = File.ReadAllBytes(EngineBench.SampleImage);
        foreach (var threads in context.Threads)
        {
            using var engine = EngineBench.Engine(threads, imageCacheBytes: 0);
            foreach (var (name, question, boxes) in EngineBench.Prompts)
            {
                var options = EngineBench.FixedLength(16);
                var ort = new List<OrtRunTimes>();
                var total = EngineBench.Repeat(context, () =>
                {
                    var before = engine.OrtRunTimes;
                    var started = Stopwatch.GetTimestamp();
                    using (var image = ImageDecoder.Decode(bytes, "shapes.png"))
                    using (var session = engine.StartSession(image))
                    {
                        session.Ask(question, boxes, options);
                    }

                    var seconds = EngineBench.Seconds(started);
                    ort.Add(engine.OrtRunTimes.Since(before));
                    return seconds;
                });
                var measured = ort.Skip(ort.Count - total.Length).ToArray();
                var glue = total.Zip(measured, (t, o) => (t - o.TotalSeconds) / t).ToArray();
                var e2e = EngineBench.Median(total);
                var inOrt = EngineBench.Median(measured.Select(o => o.TotalSeconds).ToArray());
                var share = EngineBench.Median(glue);
                results.Add(new JsonObject
                {
                    ["prompt"] = name,
                    ["answer_tokens"] = 16,
                    ["threads"] = threads,
                    ["end_to_end_median_s"] = e2e,
                    ["ort_median_s"] = inOrt,
                    ["vision_median_s"] = EngineBench.Median(measured.Select(o => o.VisionSeconds).ToArray()),
                    ["region_head_median_s"] = EngineBench.Median(measured.Select(o => o.RegionHeadSeconds).ToArray()),
                    ["prefill_median_s"] = EngineBench.Median(measured.Select(o => o.PrefillSeconds).ToArray()),
                    ["steps_median_s"] = EngineBench.Median(measured.Select(o => o.StepSeconds).ToArray()),
                    ["ort_runs"] = measured[^1].VisionRuns + measured[^1].RegionHeadRuns + measured[^1].PrefillRuns + measured[^1].StepRuns,
                    ["glue_share_median"] = share,
                    ["iterations"] = total.Length,
                });
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[csharp] P5 {name} threads={threads}: end to end {e2e * 1e3:0.0} ms, in ONNX Runtime {inOrt * 1e3:0.0} ms, glue {share:P1}"));
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
