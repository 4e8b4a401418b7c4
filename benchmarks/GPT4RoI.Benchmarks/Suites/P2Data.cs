using System.Text.Json;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Benchmarks.Suites;

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
