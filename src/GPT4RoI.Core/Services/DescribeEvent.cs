namespace GPT4RoI.Core.Services;

/// <summary>What a streamed description produces, in order: one <see cref="ObjectsDetected"/>, then an
/// <see cref="ObjectDescribed"/> per object (per-region mode, in index order), then one <see cref="DescribeCompleted"/>.</summary>
public abstract record DescribeEvent;
