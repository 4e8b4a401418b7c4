using System.Text.Json.Nodes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// P2: image input, what the engine does before the vision graph: <see cref="ImageDecoder.Decode(ReadOnlyMemory{byte}, string, ImageLimits?)"/>
/// (header checks, ImageSharp decode, JPEG chroma upsampling, EXIF orientation, SHA-256 of the bytes) then
/// <see cref="ImagePreprocessor.WritePixels"/> into a [3, 224, 224] buffer. Inputs and the reference's pixels come from
/// benchmarks/python/p2_image_input.py (run/p2/). Single-threaded, as the engine runs it.
/// </summary>
public static class P2ImageInput
{
    public const string Id = "P2";

    /// <summary>The 12 MP PNG is about 18 MB: under the default 20 MiB cap, but the cap is lifted so larger test images also decode.</summary>
    internal static readonly ImageLimits Limits = new() { MaxBytes = 64L * 1024 * 1024 };

    public static JsonObject Run(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = P2Data.Load(context);
        var errors = new JsonArray();
        foreach (var name in data.Names)
        {
            var (expected, _) = Npy.ReadFloat32(Path.Combine(data.Directory, $"reference_{name}.npy"));
            using var image = ImageDecoder.Decode(data.Bytes[name], name, Limits);
            var pixels = new float[data.Settings.ElementCount];
            ImagePreprocessor.WritePixels(image.Image, data.Settings, pixels);
            var before = new float[pixels.Length];
            ImagePreprocessorV0.WritePixels(image.Image, data.Settings, before);
            errors.Add(new JsonObject
            {
                ["image"] = name,
                ["csharp_vs_reference"] = P1RoiAlign.MaxAbs(pixels, expected),
                ["csharp_vs_before"] = P1RoiAlign.MaxAbs(pixels, before),
            });
        }

        return new JsonObject
        {
            ["benchmark"] = Id,
            ["side"] = "csharp",
            ["threads"] = new JsonArray(1),
            ["results"] = BdnRunner.Run(typeof(ImageInputBenchmarks), context, Id),
            ["errors"] = errors,
        };
    }
}
