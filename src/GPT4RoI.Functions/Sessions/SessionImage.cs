namespace GPT4RoI.Functions.Sessions;

/// <summary>A session's stored image: its bytes, their media type (from the bytes) and their SHA-256.</summary>
public sealed record SessionImage(ReadOnlyMemory<byte> Content, string ContentType, string Sha256);
