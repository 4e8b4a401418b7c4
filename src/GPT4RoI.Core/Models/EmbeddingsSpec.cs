namespace GPT4RoI.Core.Models;

public sealed record EmbeddingsSpec
{
    public required string File { get; init; }
    public required string Dtype { get; init; }
    public required int[] Shape { get; init; }
}
