namespace GPT4RoI.Core.Models;

public sealed record GraphSpec
{
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
}
