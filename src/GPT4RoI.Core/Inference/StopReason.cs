namespace GPT4RoI.Core.Inference;

public enum StopReason
{
    StopString,
    EndOfSequence,
    MaxNewTokens,
}
