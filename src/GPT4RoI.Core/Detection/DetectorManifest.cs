using System.Text.Json;
using System.Text.Json.Serialization;
using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Detection;

/// <summary>The <c>manifest.json</c> of a detector folder (format <c>gpt4roi-detector</c>, version 1;
/// docs/model-format.md, "Detector folders").</summary>
public sealed record DetectorManifest
{
    /// <summary>The only <c>format_version</c> this build reads.</summary>
    public const int SupportedFormatVersion = 1;

    /// <summary>Must be <c>gpt4roi-detector</c> (JSON <c>format</c>).</summary>
    public required string Format { get; init; }

    /// <summary>Must equal <see cref="SupportedFormatVersion"/> (JSON <c>format_version</c>).</summary>
    public required int FormatVersion { get; init; }

    /// <summary>Name of the detector; results report it (JSON <c>model_id</c>).</summary>
    public required string ModelId { get; init; }

    /// <summary>The graph file and its float type (JSON <c>graph</c>).</summary>
    public required DetectorGraphSpec Graph { get; init; }

    /// <summary>The graph's input tensor, [1, 3, S, S] float32 (JSON <c>input</c>).</summary>
    public required DetectorTensorSpec Input { get; init; }

    /// <summary>Image preprocessing (JSON <c>preprocess</c>).</summary>
    public required DetectorPreprocessSpec Preprocess { get; init; }

    /// <summary>The output layout and tensors (JSON <c>output</c>; read by <see cref="DetectorOutputSpec.Parse"/>).</summary>
    [JsonIgnore]
    public DetectorOutputSpec Output { get; init; } = null!;

    /// <summary>Class id → name (JSON <c>class_names</c>).</summary>
    public required string[] ClassNames { get; init; }

    /// <summary>Decode and NMS settings (JSON <c>postprocess</c>).</summary>
    public required DetectorPostprocessSpec Postprocess { get; init; }

    /// <summary>File name → size and SHA-256 of every file the engine needs (JSON <c>files</c>).</summary>
    public required Dictionary<string, FileSpec> Files { get; init; }

    /// <summary>The input size S of the square [S, S] input.</summary>
    public int InputSize => Preprocess.Size[0];

    /// <summary>Reads and validates a detector <c>manifest.json</c> (fields and their consistency; not the files).</summary>
    /// <exception cref="DetectorException">The file is missing or not JSON, or a field is missing, unknown or
    /// inconsistent (output shape, class count, layout...); the message names it.</exception>
    public static DetectorManifest Load(string manifestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(manifestPath);
        }
        catch (IOException ex)
        {
            throw new DetectorException($"{manifestPath}: {ex.Message}", ex);
        }

        return Parse(bytes, manifestPath);
    }

    /// <summary>Parses and validates a detector manifest from its JSON bytes; <paramref name="where"/> starts every
    /// error message.</summary>
    /// <exception cref="DetectorException">Not JSON, or a field is missing, unknown or inconsistent.</exception>
    public static DetectorManifest Parse(ReadOnlySpan<byte> json, string where)
    {
        DetectorManifest? manifest;
        JsonElement output;
        try
        {
            manifest = JsonSerializer.Deserialize<DetectorManifest>(json, ModelManifest.JsonOptions);
            using var doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            if (manifest is null || doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DetectorException($"{where}: empty manifest");
            }

            if (!doc.RootElement.TryGetProperty("output", out var o))
            {
                throw new DetectorException($"{where}: \"output\" is missing");
            }

            output = o.Clone();
        }
        catch (JsonException ex)
        {
            throw new DetectorException($"{where}: {ex.Message}", ex);
        }

        if (manifest.Format != "gpt4roi-detector")
        {
            throw new DetectorException($"{where}: \"format\" is '{manifest.Format}', expected 'gpt4roi-detector'");
        }

        if (manifest.FormatVersion != SupportedFormatVersion)
        {
            throw new DetectorException($"{where}: \"format_version\" {manifest.FormatVersion} is not supported (this build reads {SupportedFormatVersion})");
        }

        manifest = manifest with { Output = DetectorOutputSpec.Parse(output, where) };
        manifest.Validate(where);
        return manifest;
    }

    private void Validate(string where)
    {
        var p = Preprocess;
        Require(Graph.Dtype == "float32", where, $"graph.dtype is '{Graph.Dtype}'; this build reads float32 detectors");
        Require(ClassNames.Length > 0 && ClassNames.All(n => !string.IsNullOrWhiteSpace(n)), where, "class_names is empty or has an empty name");
        Require(p.Size.Length == 2 && p.Size[0] == p.Size[1] && p.Size[0] is > 0 and <= 4096,
            where, "preprocess.size must be [S, S] with 0 < S <= 4096");
        var s = p.Size[0];
        Require(p.ResizeMode is "letterbox" or "stretch", where, $"preprocess.resize_mode '{p.ResizeMode}' is unknown (letterbox or stretch)");
        Require(p.Color == "RGB" && p.Layout == "NCHW", where, "preprocess.color must be RGB and preprocess.layout NCHW");
        Require(p.ApplyExifOrientation, where, "preprocess.apply_exif_orientation must be true (boxes refer to the displayed image)");
        Require(Math.Abs((p.Scale * 255.0) - 1.0) < 1e-9, where, "preprocess.scale must be 1/255");
        Require(p.PadValue is >= 0 and <= 255, where, "preprocess.pad_value must be within 0..255");
        Require(p.Mean.Length == 3 && p.Std.Length == 3 && p.Mean.All(float.IsFinite) && p.Std.All(v => float.IsFinite(v) && v > 0),
            where, "preprocess.mean/std must have 3 finite values, std > 0");
        Require(Input.Dtype == "float32" && Input.Shape.Length == 4 && Input.Shape[0] is 1 or <= 0 && Input.Shape[1] == 3 && Input.Shape[2] == s && Input.Shape[3] == s,
            where, $"input.shape {DetectorOutputSpec.ShapeText(Input.Shape)} must be [1, 3, {s}, {s}] float32 (preprocess.size)");
        if (Output.Layout == DetectorOutputLayout.Yolo)
        {
            var shape = Output.Output!.Shape;
            Require(shape[1] == 4 + ClassNames.Length, where,
                $"output.shape {DetectorOutputSpec.ShapeText(shape)} has {shape[1]} rows but class_names has {ClassNames.Length} names; the yolo layout needs 4 + {ClassNames.Length} = {4 + ClassNames.Length}");
        }

        var pp = Postprocess;
        Require(double.IsFinite(pp.ScoreThreshold) && pp.ScoreThreshold is >= 0 and < 1, where, "postprocess.score_threshold must be within [0, 1)");
        Require(pp.MaxDetections is > 0 and <= 10_000, where, "postprocess.max_detections must be within 1..10000");
        Require(pp.MaxCandidates is null or > 0, where, "postprocess.max_candidates must be positive");
        Require(pp.DropEmptyAfterClip, where, "postprocess.drop_empty_after_clip must be true");
        switch (pp.Nms)
        {
            case "class_aware":
                Require(pp.NmsIouThreshold is { } t && double.IsFinite(t) && t is >= 0 and <= 1, where,
                    "postprocess.nms_iou_threshold must be within [0, 1] when postprocess.nms is class_aware");
                break;
            case "none":
                Require(Output.Layout == DetectorOutputLayout.Decoded, where, "postprocess.nms 'none' needs the decoded layout (a yolo graph has no NMS)");
                break;
            default:
                throw new DetectorException($"{where}: postprocess.nms '{pp.Nms}' is unknown (class_aware or none)");
        }

        Require(Files.ContainsKey(Graph.File), where, $"\"files\" has no entry for the graph '{Graph.File}'");
        Require(!Graph.File.Contains("..", StringComparison.Ordinal) && !Path.IsPathRooted(Graph.File), where, "graph.file must be a relative name without '..'");
    }

    private static void Require(bool ok, string where, string message)
    {
        if (!ok)
        {
            throw new DetectorException($"{where}: {message}");
        }
    }
}
