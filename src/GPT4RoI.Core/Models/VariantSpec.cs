namespace GPT4RoI.Core.Models;

public sealed record VariantSpec
{
    public required Dictionary<string, string> Graphs { get; init; }
    public required string Dtype { get; init; }
}
