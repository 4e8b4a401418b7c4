using BenchmarkDotNet.Attributes;
using GPT4RoI.Benchmarks.Baselines;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>The BenchmarkDotNet class of P1 (parameters: box count and threads; see <see cref="P1RoiAlign"/>).</summary>
public class RoiAlignBenchmarks : IDisposable
{
    private P1Data _data = null!;
    private float[] _boxes = [];
    private float[] _output = [];
    private RoiAlignOptions _options = new();
    private OrtRoiAlign? _ortNchw;
    private OrtRoiAlign? _ortNhwc;

    public static IEnumerable<int> BoxCountValues => P1Data.Load(BenchContext.Current).BoxCounts;

    public static IEnumerable<int> ThreadValues => BenchContext.Current.Threads;

    [ParamsSource(nameof(BoxCountValues))]
    public int Boxes { get; set; }

    [ParamsSource(nameof(ThreadValues))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = P1Data.Load(BenchContext.Current);
        _boxes = _data.Boxes(Boxes);
        _output = new float[RoiAlign.OutputLength(Boxes, _data.Levels.Length, P1Data.Roi, P1Data.Channels)];
        _options = new RoiAlignOptions { MaxDegreeOfParallelism = Threads };
        _ortNchw = new OrtRoiAlign(_data, Boxes, Threads, nhwc: false);
        _ortNhwc = new OrtRoiAlign(_data, Boxes, Threads, nhwc: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortNchw?.Dispose();
        _ortNhwc?.Dispose();
        _ortNchw = _ortNhwc = null;
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void CSharp()
    {
        if (Threads == 1)
        {
            RoiAlign.Compute(_data.Levels, _boxes, _output, _options);
        }
        else
        {
            RoiAlign.ComputeParallel(_data.Levels, _boxes, _output, _options);
        }
    }

    [Benchmark]
    public void CSharpBefore()
    {
        if (Threads == 1)
        {
            RoiAlignV0.Compute(_data.Levels, _boxes, _output, _options);
        }
        else
        {
            RoiAlignV0.ComputeParallel(_data.Levels, _boxes, _output, _options);
        }
    }

    [Benchmark]
    public void OrtNchw() => _ortNchw!.Run();

    [Benchmark]
    public void OrtNhwc() => _ortNhwc!.Run();
}
