namespace GPT4RoI.Core.Models;

/// <summary>The manifest's <c>generation</c>: the model's decoding defaults (docs/model-format.md); the tiny model is
/// greedy with 64 new tokens, GPT4RoI-7B samples as the official demo does.</summary>
public sealed record GenerationSpec
{
    /// <summary>Whether to sample; false is greedy (JSON <c>do_sample</c>).</summary>
    public required bool DoSample { get; init; }

    /// <summary>Sampling temperature; 0 = greedy (JSON <c>temperature</c>).</summary>
    public required float Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens before top-p; 0 = off (JSON <c>top_k</c>).</summary>
    public required int TopK { get; init; }

    /// <summary>Nucleus mass in (0, 1]; 1 keeps every token (JSON <c>top_p</c>).</summary>
    public required float TopP { get; init; }

    /// <summary>Default answer length bound (JSON <c>max_new_tokens</c>).</summary>
    public required int MaxNewTokens { get; init; }
}
