namespace GPT4RoI.Core.Contracts;

public sealed record SessionRegion(int? Region, double[] Box);
