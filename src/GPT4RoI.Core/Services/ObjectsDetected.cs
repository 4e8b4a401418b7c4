using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>The detections that will be described (no answers yet).</summary>
public sealed record ObjectsDetected(IReadOnlyList<DescribedObject> Objects) : DescribeEvent;
