namespace GPT4RoI.Functions.Sessions;

public sealed record AnswerTurnInput(string SessionId, TurnEvent Turn);
