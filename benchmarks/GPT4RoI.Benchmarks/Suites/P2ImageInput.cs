using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;
using SixLabors.ImageSharp.PixelFormats;

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

/// <summary>The P2 inputs: encoded images and preprocessing settings, read once per process.</summary>
internal sealed class P2Data
{
    private static readonly Lock Gate = new();
    private static P2Data? _loaded;

    private P2Data(string directory)
    {
        Directory = directory;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "images.json")));
        var root = doc.RootElement;
        Names = root.GetProperty("images").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray();
        Bytes = Names.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(directory, "images", n)));
        Settings = new PreprocessSettings(
            root.GetProperty("size").GetInt32(),
            root.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            root.GetProperty("std").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    public string Directory { get; }

    public string[] Names { get; }

    public Dictionary<string, byte[]> Bytes { get; }

    public PreprocessSettings Settings { get; }

    public static P2Data Load(BenchContext context)
    {
        lock (Gate)
        {
            return _loaded ??= new P2Data(context.BenchDirectory(P2ImageInput.Id));
        }
    }
}

/// <summary>The BenchmarkDotNet class of P2 (parameter: the image file).</summary>
public class ImageInputBenchmarks : IDisposable
{
    private P2Data _data = null!;
    private byte[] _bytes = [];
    private float[] _pixels = [];
    private DecodedImage? _decoded;

    public static IEnumerable<string> ImageValues => P2Data.Load(BenchContext.Current).Names;

    [ParamsSource(nameof(ImageValues))]
    public string Image { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _data = P2Data.Load(BenchContext.Current);
        _bytes = _data.Bytes[Image];
        _pixels = new float[_data.Settings.ElementCount];
        _decoded = ImageDecoder.Decode(_bytes, Image, P2ImageInput.Limits);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoded?.Dispose();
        _decoded = null;
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    /// <summary>Decode + preprocess: the figure compared with the reference's total.</summary>
    [Benchmark]
    public void Total()
    {
        using var image = ImageDecoder.Decode(_bytes, Image, P2ImageInput.Limits);
        ImagePreprocessor.WritePixels(image.Image, _data.Settings, _pixels);
    }

    [Benchmark]
    public void Decode()
    {
        using var image = ImageDecoder.Decode(_bytes, Image, P2ImageInput.Limits);
    }

    /// <summary>ImageSharp's own decode of the same bytes (no checks, no exact-colour JPEG path): where the decode time goes.</summary>
    [Benchmark]
    public void DecodeImageSharp()
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(_bytes);
    }

    [Benchmark]
    public void Preprocess() => ImagePreprocessor.WritePixels(_decoded!.Image, _data.Settings, _pixels);

    [Benchmark]
    public void PreprocessBefore() => ImagePreprocessorV0.WritePixels(_decoded!.Image, _data.Settings, _pixels);
}
