using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Core.Services;

/// <summary>The finished answer, as the non-streaming call returns it.</summary>
public sealed record QueryCompleted(QueryAnswer Answer) : QueryEvent;
