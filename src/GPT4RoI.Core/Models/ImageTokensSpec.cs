namespace GPT4RoI.Core.Models;

public sealed record ImageTokensSpec
{
    public required string Start { get; init; }
    public required string Patch { get; init; }
    public required string End { get; init; }
    public required int Count { get; init; }
}
