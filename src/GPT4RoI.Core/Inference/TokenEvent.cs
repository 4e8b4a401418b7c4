namespace GPT4RoI.Core.Inference;

/// <summary>One streamed token: its id, the raw text it added (stop string and "Assistant:" included), and what
/// it added to the cleaned answer (empty while a possible stop string or the "Assistant:" prefix is held back).</summary>
public readonly record struct TokenEvent(int TokenId, string TextDelta, string AnswerDelta);
