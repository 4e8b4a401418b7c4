namespace GPT4RoI.Fuzz;

/// <summary>One distinct problem: an unexpected exception (by type and throwing frame), a slow or a hung input.</summary>
internal sealed record FuzzFinding(string Kind, string Signature, string Detail, string? InputPath, long Execution);
