using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Detection;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P8: detector decode + class-aware NMS (<see cref="DetectionDecoder.DecodeYolo"/>) on the raw outputs the Python
/// baseline (benchmarks/python/p8_detector_nms.py, run/p8/) took from the tiny detector's reference on fresh scenes,
/// per scene; and on one dense output of 10,000 anchors that all pass the threshold (capped at
/// <see cref="DetectionSettings.DefaultMaxCandidates"/> before NMS). Checks first that the kept anchors equal the
/// reference's on every scene. Single-threaded, as the engine runs it.
/// </summary>
public static class P8DetectorNms
{
    public const string Id = "P8";

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = P8Data.Load(context);
        int same = 0, differing = 0;
        foreach (var (output, g, expected) in data.Scenes)
        {
            var got = DetectionDecoder.DecodeYolo(output, data.Classes, data.Anchors, g, data.Settings, data.ClassNames).Detections.Select(d => d.Anchor);
            if (got.SequenceEqual(expected))
            {
                same++;
            }
            else
            {
                differing++;
            }
        }

        var dense = DetectionDecoder.DecodeYolo(data.Dense, data.Classes, data.DenseAnchors, data.DenseGeometry, data.DenseSettings, data.ClassNames);
        var denseOverlap = dense.Detections.Select(d => d.Anchor).Intersect(data.DenseExpected).Count();
        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["threads"] = new JsonArray(1),
            ["results"] = BdnRunner.Run(typeof(DetectorNmsBenchmarks), context, Id),
            ["checks"] = new JsonObject
            {
                ["scenes_same_anchors"] = same,
                ["scenes_differing"] = differing,
                ["dense_kept"] = dense.Detections.Count,
                ["dense_kept_also_in_reference"] = denseOverlap,
                ["dense_capped_candidates"] = dense.CappedCandidates,
            },
        };
    }
}
