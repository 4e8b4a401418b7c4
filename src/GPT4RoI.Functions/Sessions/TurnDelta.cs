namespace GPT4RoI.Functions.Sessions;

/// <summary>Text the answer being generated gained: one token's, with its id, when the turn is answered in this process;
/// the text added since the last look (no token id) when it is relayed through storage from another instance.</summary>
public sealed record TurnDelta(int? TokenId, string Text) : SessionStreamEvent;
