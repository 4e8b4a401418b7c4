namespace GPT4RoI.Core.Models;

public sealed record TokenizerSpec
{
    public required string File { get; init; }
    public required string Type { get; init; }
    public required bool AddBos { get; init; }
    public required int BosId { get; init; }
    public required int EosId { get; init; }
    public required int UnkId { get; init; }
    public required int BaseVocabSize { get; init; }
    public required Dictionary<string, int> AddedTokens { get; init; }
}
