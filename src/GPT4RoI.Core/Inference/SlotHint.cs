namespace GPT4RoI.Core.Inference;

/// <summary>Where a conversation's keys/values were left after its last turn.</summary>
/// <param name="Slot">The cache slot, or -1 for none.</param>
/// <param name="Stamp">The slot's stamp then: the keys/values are still there only while the stamp is unchanged.</param>
/// <param name="ReusableTokens">How many leading tokens of the new prompt they cover.</param>
internal readonly record struct SlotHint(int Slot, long Stamp, int ReusableTokens)
{
    public static SlotHint None { get; } = new(-1, 0, 0);
}
