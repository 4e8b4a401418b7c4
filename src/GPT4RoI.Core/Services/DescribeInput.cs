using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>What <see cref="DescribeService"/> is asked: an image, and optionally the question and filters.</summary>
/// <param name="Image">The encoded image bytes.</param>
/// <param name="ImageName">How errors name the image.</param>
/// <param name="Question">The question; null takes the model's detection prompt question (per region: it names the
/// object <c>&lt;region1&gt;</c>; one-turn modes: it follows the regions).</param>
/// <param name="Generation">Decoding settings.</param>
/// <param name="MinScore">A detection needs a score above this (and above the detector's threshold); null: the detector's.</param>
public sealed record DescribeInput(
    ReadOnlyMemory<byte> Image,
    string ImageName,
    string? Question,
    GenerationOptions Generation,
    double? MinScore = null);
