namespace GPT4RoI.Core.Models;

/// <summary>The tokenizer of a model folder (manifest <c>tokenizer</c>): a SentencePiece base vocabulary plus added
/// tokens, read into <see cref="Text.RoiTokenizer"/>.</summary>
public sealed record TokenizerSpec
{
    /// <summary>SentencePiece model file in the folder, e.g. <c>tokenizer.model</c> (JSON <c>file</c>).</summary>
    public required string File { get; init; }

    /// <summary>Tokenizer kind, <c>sentencepiece</c> (JSON <c>type</c>).</summary>
    public required string Type { get; init; }

    /// <summary>Whether a prompt starts with the BOS token (JSON <c>add_bos</c>).</summary>
    public required bool AddBos { get; init; }

    /// <summary>Id of the beginning-of-sequence token (JSON <c>bos_id</c>, 1).</summary>
    public required int BosId { get; init; }

    /// <summary>Id of the end-of-sequence token; generating it ends the answer (JSON <c>eos_id</c>, 2).</summary>
    public required int EosId { get; init; }

    /// <summary>Id of the unknown token (JSON <c>unk_id</c>, 0).</summary>
    public required int UnkId { get; init; }

    /// <summary>Number of ids of the SentencePiece model; added tokens come after them (JSON <c>base_vocab_size</c>).</summary>
    public required int BaseVocabSize { get; init; }

    /// <summary>Added token → id (<c>&lt;im_patch&gt;</c>, <c>&lt;im_start&gt;</c>, <c>&lt;im_end&gt;</c>, <c>&lt;bbox&gt;</c>,
    /// <c>&lt;point&gt;</c>); must hold the image tokens and the region token (JSON <c>added_tokens</c>).</summary>
    public required Dictionary<string, int> AddedTokens { get; init; }
    /// <summary>Where the ids of <see cref="AddedTokens"/> come from (added_tokens.json or an order).</summary>
    public string? AddedTokensSource { get; init; }
    /// <summary>special_tokens_map.json: bos/eos/unk/pad token strings, split out of text as single ids.</summary>
    public Dictionary<string, string>? SpecialTokens { get; init; }
}
