using BenchmarkDotNet.Attributes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Benchmarks.Suites;

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
