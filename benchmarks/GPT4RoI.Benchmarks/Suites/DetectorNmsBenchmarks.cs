using BenchmarkDotNet.Attributes;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Detection;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>The BenchmarkDotNet class of P8: all scenes per operation (the report divides by the scene count), and the dense output.</summary>
public class DetectorNmsBenchmarks
{
    private P8Data _data = null!;

    [GlobalSetup]
    public void Setup() => _data = P8Data.Load(BenchContext.Current);

    /// <summary>Decode + NMS of every scene's output, one after the other.</summary>
    [Benchmark]
    public int Scenes()
    {
        var kept = 0;
        foreach (var (output, g, _) in _data.Scenes)
        {
            kept += DetectionDecoder.DecodeYolo(output, _data.Classes, _data.Anchors, g, _data.Settings, _data.ClassNames).Detections.Count;
        }

        return kept;
    }

    /// <summary>Decode + NMS of the dense output: 10,000 candidates, capped before NMS.</summary>
    [Benchmark]
    public int Dense10000() =>
        DetectionDecoder.DecodeYolo(_data.Dense, _data.Classes, _data.DenseAnchors, _data.DenseGeometry, _data.DenseSettings, _data.ClassNames).Detections.Count;
}
