using System.Text.Json.Serialization;

namespace GPT4RoI.Functions.Sessions;

/// <summary>The orchestration's custom status (kept well under the 16 KB limit). Its JSON names are fixed here, so
/// <c>custom_status</c> reads the same whatever serializer the durable host is configured with.</summary>
public sealed record SessionCustomStatus(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("turns")] int Turns,
    [property: JsonPropertyName("last_turn_id")] string? LastTurnId,
    [property: JsonPropertyName("last_error")] string? LastError);
