namespace GPT4RoI.Core.Inference;

/// <summary>One generated answer with its token ids, why it stopped and how long it took.</summary>
public sealed record GenerationResult
{
    /// <summary>The answer as the demo shows it: stop string and "Assistant:" removed, trimmed.</summary>
    public required string Answer { get; init; }
    /// <summary>The decoded generated text, stop string included.</summary>
    public required string RawText { get; init; }
    /// <summary>The whole prompt's token ids, BOS first, including the prefix whose keys/values were reused.</summary>
    public required IReadOnlyList<int> PromptTokenIds { get; init; }
    /// <summary>The generated token ids (never the end-of-sequence token).</summary>
    public required IReadOnlyList<int> GeneratedTokenIds { get; init; }
    /// <summary>Why generation stopped.</summary>
    public required StopReason StopReason { get; init; }
    /// <summary>Prompt tokens whose keys/values came from the conversation's cache instead of a new prefill.</summary>
    public int ReusedPromptTokens { get; init; }
    /// <summary>Time from the start of decoding to the first token's logits (the prompt's prefill).</summary>
    public double PrefillMilliseconds { get; init; }
    /// <summary>Time for the tokens after the first.</summary>
    public double DecodeMilliseconds { get; init; }
    /// <summary>Logits of the first generated token (only when asked for, for parity checks).</summary>
    public float[]? FirstStepLogits { get; init; }
}
