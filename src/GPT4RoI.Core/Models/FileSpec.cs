namespace GPT4RoI.Core.Models;

public sealed record FileSpec
{
    public required long Bytes { get; init; }
    public required string Sha256 { get; init; }
}
