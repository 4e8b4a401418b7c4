using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>What a streamed description produces, in order: one <see cref="ObjectsDetected"/>, then an
/// <see cref="ObjectDescribed"/> per object (per-region mode, in index order), then one <see cref="DescribeCompleted"/>.</summary>
public abstract record DescribeEvent;

/// <summary>The detections that will be described (no answers yet).</summary>
public sealed record ObjectsDetected(IReadOnlyList<DescribedObject> Objects) : DescribeEvent;

/// <summary>One object with its answer (or its error).</summary>
public sealed record ObjectDescribed(DescribedObject Described) : DescribeEvent;

/// <summary>The whole result, as the non-streaming call returns it.</summary>
public sealed record DescribeCompleted(DescribeResult Result) : DescribeEvent;
