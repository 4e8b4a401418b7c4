using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>What a streamed query produces, in order: <see cref="AnswerDelta"/> events, then one <see cref="QueryCompleted"/>.</summary>
public abstract record QueryEvent;

/// <summary>Text the latest token added to the visible answer (stop strings and the "Assistant:" prefix are held back).</summary>
/// <param name="TokenId">The generated token.</param>
/// <param name="Text">The new answer text; never empty.</param>
public sealed record AnswerDelta(int TokenId, string Text) : QueryEvent;

/// <summary>The finished answer, as the non-streaming call returns it.</summary>
public sealed record QueryCompleted(QueryAnswer Answer) : QueryEvent;
