using System.Globalization;
using System.Text.Json;

namespace GPT4RoI.Core.Detection;

/// <summary>The detector graph's output (manifest <c>output</c>): the <see cref="DetectorOutputLayout"/> and its tensors.</summary>
public sealed record DetectorOutputSpec
{
    /// <summary>The layout (JSON <c>layout</c>: <c>yolo</c> or <c>decoded</c>).</summary>
    public required DetectorOutputLayout Layout { get; init; }

    /// <summary><see cref="DetectorOutputLayout.Yolo"/>: the one output tensor [1, 4 + C, A] (JSON <c>name</c>,
    /// <c>shape</c>, <c>dtype</c>); null otherwise.</summary>
    public DetectorTensorSpec? Output { get; init; }

    /// <summary><see cref="DetectorOutputLayout.Decoded"/>: boxes [N, 4] or [1, N, 4] (JSON <c>boxes</c>).</summary>
    public DetectorTensorSpec? Boxes { get; init; }

    /// <summary><see cref="DetectorOutputLayout.Decoded"/>: scores [N] or [1, N], float32 (JSON <c>scores</c>).</summary>
    public DetectorTensorSpec? Scores { get; init; }

    /// <summary><see cref="DetectorOutputLayout.Decoded"/>: class ids [N] or [1, N], int64 (JSON <c>labels</c>).</summary>
    public DetectorTensorSpec? Labels { get; init; }

    /// <summary><c>xyxy</c> or <c>cxcywh</c> (JSON <c>box_format</c>; the yolo layout is always <c>cxcywh</c>).</summary>
    public required string BoxFormat { get; init; }

    /// <summary><c>input_pixels</c> or <c>normalized</c> (divided by the input size) (JSON <c>box_units</c>; the yolo
    /// layout is always <c>input_pixels</c>).</summary>
    public required string BoxUnits { get; init; }

    /// <summary>Whether the graph already applies NMS; informative (JSON <c>nms_in_graph</c>).</summary>
    public bool NmsInGraph { get; init; }

    /// <summary>The names of the graph outputs this layout reads, in order.</summary>
    public IReadOnlyList<string> OutputNames => Layout == DetectorOutputLayout.Yolo
        ? [Output!.Name]
        : [Boxes!.Name, Scores!.Name, Labels!.Name];

    /// <summary>Reads and checks the manifest's <c>output</c> object (the class count is checked by the manifest).</summary>
    /// <exception cref="DetectorException">The layout is unknown, or a tensor, format or unit is missing or wrong.</exception>
    public static DetectorOutputSpec Parse(JsonElement output, string where)
    {
        if (output.ValueKind != JsonValueKind.Object)
        {
            throw new DetectorException($"{where}: \"output\" must be an object");
        }

        var layout = String(output, "layout", where, "output.layout");
        var nmsInGraph = output.TryGetProperty("nms_in_graph", out var n) && n.ValueKind == JsonValueKind.True;
        switch (layout)
        {
            case "yolo":
                var tensor = new DetectorTensorSpec
                {
                    Name = String(output, "name", where, "output.name"),
                    Shape = Shape(output, where, "output"),
                    Dtype = String(output, "dtype", where, "output.dtype"),
                };
                Require(tensor.Dtype == "float32", where, $"output.dtype is '{tensor.Dtype}'; the yolo layout needs float32");
                Require(tensor.Shape.Length == 3 && tensor.Shape[0] is 1 or <= 0,
                    where, $"output.shape {ShapeText(tensor.Shape)} is not [1, 4 + classes, anchors] (the yolo layout)");
                return new DetectorOutputSpec { Layout = DetectorOutputLayout.Yolo, Output = tensor, BoxFormat = "cxcywh", BoxUnits = "input_pixels", NmsInGraph = nmsInGraph };
            case "decoded":
                var boxes = Tensor(output, "boxes", where);
                var scores = Tensor(output, "scores", where);
                var labels = Tensor(output, "labels", where);
                Require(boxes.Dtype == "float32" && scores.Dtype == "float32", where, "output.boxes and output.scores must be float32");
                Require(labels.Dtype is "int64" or "int32", where, $"output.labels.dtype is '{labels.Dtype}'; expected int64");
                Require((boxes.Shape.Length == 2 && boxes.Shape[1] == 4) || (boxes.Shape.Length == 3 && boxes.Shape[0] is 1 or <= 0 && boxes.Shape[2] == 4),
                    where, $"output.boxes.shape {ShapeText(boxes.Shape)} is not [N, 4] or [1, N, 4]");
                Require(scores.Shape.Length is 1 or 2 && labels.Shape.Length is 1 or 2,
                    where, "output.scores and output.labels must be [N] or [1, N]");
                var format = String(output, "box_format", where, "output.box_format");
                var units = String(output, "box_units", where, "output.box_units");
                Require(format is "xyxy" or "cxcywh", where, $"output.box_format '{format}' is unknown (xyxy or cxcywh)");
                Require(units is "input_pixels" or "normalized", where, $"output.box_units '{units}' is unknown (input_pixels or normalized)");
                return new DetectorOutputSpec
                {
                    Layout = DetectorOutputLayout.Decoded, Boxes = boxes, Scores = scores, Labels = labels,
                    BoxFormat = format, BoxUnits = units, NmsInGraph = nmsInGraph,
                };
            default:
                throw new DetectorException($"{where}: output.layout '{layout}' is unknown (this build reads 'yolo' and 'decoded')");
        }
    }

    /// <summary><c>[1, 7, 1344]</c>.</summary>
    internal static string ShapeText(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";

    private static DetectorTensorSpec Tensor(JsonElement output, string field, string where)
    {
        if (!output.TryGetProperty(field, out var t) || t.ValueKind != JsonValueKind.Object)
        {
            throw new DetectorException($"{where}: output.{field} must be an object with name, shape and dtype (the decoded layout)");
        }

        return new DetectorTensorSpec
        {
            Name = String(t, "name", where, $"output.{field}.name"),
            Shape = Shape(t, where, $"output.{field}"),
            Dtype = String(t, "dtype", where, $"output.{field}.dtype"),
        };
    }

    private static string String(JsonElement e, string property, string where, string field)
    {
        if (!e.TryGetProperty(property, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(v.GetString()))
        {
            throw new DetectorException($"{where}: {field} is missing or not a string");
        }

        return v.GetString()!;
    }

    private static long[] Shape(JsonElement e, string where, string field)
    {
        if (!e.TryGetProperty("shape", out var v) || v.ValueKind != JsonValueKind.Array)
        {
            throw new DetectorException($"{where}: {field}.shape is missing");
        }

        var shape = new long[v.GetArrayLength()];
        var i = 0;
        foreach (var d in v.EnumerateArray())
        {
            shape[i++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var x) ? x : -1;
        }

        return shape;
    }

    private static void Require(bool ok, string where, string message)
    {
        if (!ok)
        {
            throw new DetectorException($"{where}: {message}");
        }
    }
}
