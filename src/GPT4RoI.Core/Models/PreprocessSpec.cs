using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Models;

public sealed record PreprocessSpec
{
    public required string Color { get; init; }
    public required bool ApplyExifOrientation { get; init; }
    public required int[] Resize { get; init; }
    public required double Scale { get; init; }
    public required float[] Mean { get; init; }
    public required float[] Std { get; init; }
    public required string Layout { get; init; }
    /// <summary><c>stretch_bilinear</c> (default when absent) or <c>clip_processor_stretch</c> (docs/model-format.md).</summary>
    public string? Mode { get; init; }
    public string? ResizeMode { get; init; }
}
