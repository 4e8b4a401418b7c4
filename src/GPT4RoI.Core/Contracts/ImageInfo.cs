namespace GPT4RoI.Core.Contracts;

/// <summary>The image of a job result (JSON <c>image</c>).</summary>
/// <param name="Name">The manifest's <c>image</c> name (path or blob name) as given (JSON <c>name</c>).</param>
/// <param name="Sha256">SHA-256 of the image bytes, lowercase hex (JSON <c>sha256</c>).</param>
/// <param name="Width">Width in pixels after EXIF orientation, the frame the boxes refer to (JSON <c>width</c>).</param>
/// <param name="Height">Height in pixels after EXIF orientation (JSON <c>height</c>).</param>
/// <param name="Format">Decoded format: <c>jpeg</c>, <c>png</c>, <c>webp</c>, <c>bmp</c> or <c>gif</c> (JSON <c>format</c>).</param>
public sealed record ImageInfo(string Name, string Sha256, int Width, int Height, string Format);
