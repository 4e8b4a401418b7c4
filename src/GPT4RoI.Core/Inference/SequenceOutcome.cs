namespace GPT4RoI.Core.Inference;

/// <summary>A finished sequence: its result, and where its keys/values stay for the conversation's next turn.</summary>
/// <param name="Result">The generation.</param>
/// <param name="Slot">The cache slot the sequence used.</param>
/// <param name="Stamp">The slot's stamp when the sequence left it (the keys/values are still there while it matches).</param>
/// <param name="CachedIds">The token ids whose keys/values the slot holds, position by position.</param>
internal sealed record SequenceOutcome(GenerationResult Result, int Slot, long Stamp, int[] CachedIds);
