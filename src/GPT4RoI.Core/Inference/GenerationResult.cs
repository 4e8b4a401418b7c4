namespace GPT4RoI.Core.Inference;

public sealed record GenerationResult
{
    /// <summary>The answer as the demo shows it: stop string and "Assistant:" removed, trimmed.</summary>
    public required string Answer { get; init; }
    /// <summary>The decoded generated text, stop string included.</summary>
    public required string RawText { get; init; }
    public required IReadOnlyList<int> PromptTokenIds { get; init; }
    public required IReadOnlyList<int> GeneratedTokenIds { get; init; }
    public required StopReason StopReason { get; init; }
    /// <summary>Prompt tokens whose keys/values came from the conversation's cache instead of a new prefill.</summary>
    public int ReusedPromptTokens { get; init; }
    public double PrefillMilliseconds { get; init; }
    public double DecodeMilliseconds { get; init; }
    /// <summary>Logits of the first generated token (only when asked for, for parity checks).</summary>
    public float[]? FirstStepLogits { get; init; }
}
