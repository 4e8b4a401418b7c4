namespace GPT4RoI.Core.Detection;

/// <summary>How a detector graph gives its detections (manifest <c>output.layout</c>).</summary>
public enum DetectorOutputLayout
{
    /// <summary><c>yolo</c>: one tensor [1, 4 + C, A]: rows 0..3 cx, cy, w, h in input pixels, rows 4.. per-class scores
    /// (sigmoid applied); no NMS in the graph (YOLOv8/v11 exports).</summary>
    Yolo,

    /// <summary><c>decoded</c>: three tensors, boxes [N, 4], scores [N] and labels [N] (a leading batch of 1 allowed),
    /// one row per detection (DETR / RT-DETR exports, or a graph with NMS inside).</summary>
    Decoded,
}
