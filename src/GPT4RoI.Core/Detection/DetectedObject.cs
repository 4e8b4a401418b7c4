using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Detection;

/// <summary>One detected object.</summary>
/// <param name="Box">The box in pixels of the EXIF-oriented image (xyxy, clipped to it): the coordinates GPT4RoI's regions use.</param>
/// <param name="Score">The detector's score (float32, as the graph gave it).</param>
/// <param name="ClassId">Class id into the manifest's <c>class_names</c>.</param>
/// <param name="Label">The class name, or the id in digits when it is outside <c>class_names</c>.</param>
/// <param name="InputBox">The box in pixels of the detector input (xyxy, not clipped).</param>
/// <param name="Anchor">The anchor (yolo) or row (decoded) the detection came from.</param>
public sealed record DetectedObject(BoundingBox Box, float Score, int ClassId, string Label, BoundingBox InputBox, int Anchor);
