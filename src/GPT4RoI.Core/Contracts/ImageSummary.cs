namespace GPT4RoI.Core.Contracts;

/// <summary>The image of a query answer (JSON <c>image</c> of <c>/api/query</c> and <c>ask --json</c>).</summary>
/// <param name="Sha256">SHA-256 of the image bytes, lowercase hex (JSON <c>sha256</c>).</param>
/// <param name="Width">Width in pixels after EXIF orientation, the frame the boxes refer to (JSON <c>width</c>).</param>
/// <param name="Height">Height in pixels after EXIF orientation (JSON <c>height</c>).</param>
public sealed record ImageSummary(string Sha256, int Width, int Height);
