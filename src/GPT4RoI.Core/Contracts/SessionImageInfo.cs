namespace GPT4RoI.Core.Contracts;

/// <summary>The image of a session (JSON <c>image</c> of the transcript); the bytes are in <c>sessions/{id}/image</c>.</summary>
/// <param name="Sha256">SHA-256 of the image bytes, lowercase hex (JSON <c>sha256</c>).</param>
/// <param name="Size">Size of the image in bytes (JSON <c>size</c>).</param>
/// <param name="Source">The <c>image_blob</c> the session was created from; null for an upload (JSON <c>source</c>).</param>
public sealed record SessionImageInfo(string Sha256, long Size, string? Source);
