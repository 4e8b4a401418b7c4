namespace GPT4RoI.Functions.Http;

/// <summary>One server-sent event: its name and the object written as its compact JSON data line.</summary>
public readonly record struct SseEvent(string Name, object Data);
