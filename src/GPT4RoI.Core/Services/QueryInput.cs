using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>One question about one image, as every host hands it to <see cref="QueryService"/>.</summary>
/// <param name="Image">The encoded image bytes (JPEG, PNG, WebP, BMP, GIF).</param>
/// <param name="ImageName">How errors name the image (a file name, a blob name, "upload").</param>
/// <param name="Question">The question; it names the boxes <c>&lt;region1&gt;</c>, <c>&lt;region2&gt;</c>, … in order.</param>
/// <param name="Regions">The boxes, in pixels of the EXIF-oriented image.</param>
/// <param name="Generation">Decoding settings; null takes the model's (<see cref="Gpt4RoIEngine.DefaultGeneration"/>).</param>
public sealed record QueryInput(
    ReadOnlyMemory<byte> Image,
    string ImageName,
    string Question,
    IReadOnlyList<BoundingBox> Regions,
    GenerationOptions? Generation);
