using System.Text.Json;
using System.Text.Json.Serialization;

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
    /// <summary>Where the ids of <see cref="AddedTokens"/> come from (added_tokens.json or an order).</summary>
    public string? AddedTokensSource { get; init; }
    /// <summary>special_tokens_map.json: bos/eos/unk/pad token strings, split out of text as single ids.</summary>
    public Dictionary<string, string>? SpecialTokens { get; init; }
}
