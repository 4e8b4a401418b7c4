using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>One object with its answer (or its error).</summary>
public sealed record ObjectDescribed(DescribedObject Described) : DescribeEvent;
