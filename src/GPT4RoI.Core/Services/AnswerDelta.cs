namespace GPT4RoI.Core.Services;

/// <summary>Text the latest token added to the visible answer (stop strings and the "Assistant:" prefix are held back).</summary>
/// <param name="TokenId">The generated token.</param>
/// <param name="Text">The new answer text; never empty.</param>
public sealed record AnswerDelta(int TokenId, string Text) : QueryEvent;
