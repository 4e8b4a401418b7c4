using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
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

/// <summary>The P8 inputs, read once per process.</summary>
internal sealed class P8Data
{
    private static readonly Lock Gate = new();
    private static P8Data? _loaded;

    private P8Data(string directory)
    {
        var (outputs, shape) = Npy.ReadFloat32(Path.Combine(directory, "outputs.npy"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "scenes.json")));
        var root = doc.RootElement;
        var s = root.GetProperty("settings");
        ClassNames = [.. s.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()!)];
        Classes = ClassNames.Length;
        Anchors = shape[2];
        Settings = new DetectionSettings
        {
            ScoreThreshold = s.GetProperty("score_threshold").GetDouble(),
            NmsIouThreshold = s.GetProperty("nms_iou_threshold").GetDouble(),
            MaxDetections = s.GetProperty("max_detections").GetInt32(),
        };
        var per = shape[1] * shape[2];
        Scenes = [.. root.GetProperty("scenes").EnumerateArray().Select((e, i) => (
            outputs.AsSpan(i * per, per).ToArray(),
            Geometry(e.GetProperty("geometry")),
            e.GetProperty("anchors").EnumerateArray().Select(a => a.GetInt32()).ToArray()))];
        (Dense, var denseShape) = Npy.ReadFloat32(Path.Combine(directory, "dense.npy"));
        DenseAnchors = denseShape[2];
        var d = root.GetProperty("dense");
        DenseGeometry = Geometry(d.GetProperty("geometry"));
        DenseSettings = Settings with { ScoreThreshold = d.GetProperty("score_threshold").GetDouble() };
        DenseExpected = [.. d.GetProperty("anchors").EnumerateArray().Select(a => a.GetInt32())];
    }

    public string[] ClassNames { get; }

    public int Classes { get; }

    public int Anchors { get; }

    public DetectionSettings Settings { get; }

    public List<(float[] Output, LetterboxGeometry Geometry, int[] Expected)> Scenes { get; }

    public float[] Dense { get; }

    public int DenseAnchors { get; }

    public LetterboxGeometry DenseGeometry { get; }

    public DetectionSettings DenseSettings { get; }

    public int[] DenseExpected { get; }

    public static P8Data Load(BenchContext context)
    {
        lock (Gate)
        {
            return _loaded ??= new P8Data(context.BenchDirectory(P8DetectorNms.Id));
        }
    }

    private static LetterboxGeometry Geometry(JsonElement g) => new(
        g.GetProperty("width").GetInt32(), g.GetProperty("height").GetInt32(), g.GetProperty("size").GetInt32(),
        g.GetProperty("new_w").GetInt32(), g.GetProperty("new_h").GetInt32(), g.GetProperty("pad_x").GetInt32(), g.GetProperty("pad_y").GetInt32());
}

/// <summary>The BenchmarkDotNet class of P8: all scenes per operation (the report divides by the scene count), and the dense output.</summary>
public class DetectorNmsBenchmarks
{
    private P8Data _data = null!;

    [GlobalSetup]
    public void Setup() => _data = P8Data.Load(BenchContext.Current);

    /// <summary>Decode + NMS of every scene's output, one after the other.</summary>
    [Benchmark]
    public int Scenes()
    {
        var kept = 0;
        foreach (var (output, g, _) in _data.Scenes)
        {
            kept += DetectionDecoder.DecodeYolo(output, _data.Classes, _data.Anchors, g, _data.Settings, _data.ClassNames).Detections.Count;
        }

        return kept;
    }

    /// <summary>Decode + NMS of the dense output: 10,000 candidates, capped before NMS.</summary>
    [Benchmark]
    public int Dense10000() =>
        DetectionDecoder.DecodeYolo(_data.Dense, _data.Classes, _data.DenseAnchors, _data.DenseGeometry, _data.DenseSettings, _data.ClassNames).Detections.Count;
}
