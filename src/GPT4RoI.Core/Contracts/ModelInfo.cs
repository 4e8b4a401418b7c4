namespace GPT4RoI.Core.Contracts;

public sealed record ModelInfo(string Id, string Variant, string ExecutionProvider);
