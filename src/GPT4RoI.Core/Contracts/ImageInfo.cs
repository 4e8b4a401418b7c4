namespace GPT4RoI.Core.Contracts;

public sealed record ImageInfo(string Name, string Sha256, int Width, int Height, string Format);
