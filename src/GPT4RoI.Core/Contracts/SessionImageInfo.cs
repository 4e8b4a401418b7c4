namespace GPT4RoI.Core.Contracts;

public sealed record SessionImageInfo(string Sha256, long Size, string? Source);
