namespace GPT4RoI.Core.Contracts;

/// <summary>Token totals over every turn of a job (JSON <c>usage</c> of a result).</summary>
/// <param name="PromptTokens">Sum of the turns' prompt tokens; each turn counts its whole prompt (JSON <c>prompt_tokens</c>).</param>
/// <param name="GeneratedTokens">Sum of the turns' generated tokens (JSON <c>generated_tokens</c>).</param>
public sealed record TokenUsage(int PromptTokens, int GeneratedTokens);
