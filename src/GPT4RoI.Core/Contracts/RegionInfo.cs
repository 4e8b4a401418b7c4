namespace GPT4RoI.Core.Contracts;

public sealed record RegionInfo(int Region, double[] Box);
