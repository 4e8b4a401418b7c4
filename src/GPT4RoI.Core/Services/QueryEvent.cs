namespace GPT4RoI.Core.Services;

/// <summary>What a streamed query produces, in order: <see cref="AnswerDelta"/> events, then one <see cref="QueryCompleted"/>.</summary>
public abstract record QueryEvent;
