namespace GPT4RoI.Core.Contracts;

public sealed record ImageSummary(string Sha256, int Width, int Height);
