namespace GPT4RoI.Functions.Sessions;

/// <summary>Text a token added to the answer being generated (only when the turn is answered in this process).</summary>
public sealed record TurnDelta(int TokenId, string Text) : SessionStreamEvent;
