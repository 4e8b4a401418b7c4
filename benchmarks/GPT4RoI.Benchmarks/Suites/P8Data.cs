using System.Text.Json;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Detection;

namespace GPT4RoI.Benchmarks.Suites;

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
