using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>The whole result, as the non-streaming call returns it.</summary>
public sealed record DescribeCompleted(DescribeResult Result) : DescribeEvent;
