namespace GPT4RoI.Core.Contracts;

public sealed record TokenUsage(int PromptTokens, int GeneratedTokens);
