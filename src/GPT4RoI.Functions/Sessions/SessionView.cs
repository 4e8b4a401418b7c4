using System.Text.Json;
using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Functions.Sessions;

/// <summary>What GET returns about a session: its transcript and its orchestration's runtime and custom status.</summary>
public sealed record SessionView(SessionTranscript Transcript, string? RuntimeStatus, JsonElement? CustomStatus);
