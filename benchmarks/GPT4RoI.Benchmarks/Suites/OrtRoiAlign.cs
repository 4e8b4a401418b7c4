using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>ONNX Runtime's RoiAlign-16 over the four levels: one session per level, preallocated inputs and outputs.</summary>
internal sealed class OrtRoiAlign : IDisposable
{
    private static readonly string[] InputNames = ["X", "rois", "batch_indices"];
    private static readonly string[] OutputNames = ["Y"];
    private readonly List<IDisposable> _owned = [];
    private readonly InferenceSession[] _sessions;
    private readonly OrtValue[][] _inputs;
    private readonly OrtValue[][] _outputs;
    private readonly float[][] _results;
    private readonly RunOptions _runOptions = new();
    private readonly int _n;
    private readonly bool _nhwc;

    public OrtRoiAlign(P1Data data, int n, int threads, bool nhwc)
    {
        _n = n;
        _nhwc = nhwc;
        var levels = data.Levels.Length;
        _sessions = new InferenceSession[levels];
        _inputs = new OrtValue[levels][];
        _outputs = new OrtValue[levels][];
        _results = new float[levels][];
        var boxes = data.Boxes(n);
        var rois = boxes.Select(b => b * P1Data.ImageSize).ToArray(); // input pixels, float32, as torchvision gets them
        var indices = new long[n];
        var roisValue = Own(OrtValue.CreateTensorValueFromMemory(rois, [n, 4]));
        var indexValue = Own(OrtValue.CreateTensorValueFromMemory(indices, [n]));
        for (var l = 0; l < levels; l++)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            var path = Path.Combine(data.Directory, "ort", $"level{l}_{(nhwc ? "nhwc" : "nchw")}.onnx");
            _sessions[l] = Own(new InferenceSession(path, options));
            var size = P1Data.SizesOf[l];
            var map = nhwc ? data.Levels[l].Map.ToArray() : data.Nchw[l];
            long[] mapShape = nhwc ? [1, size, size, P1Data.Channels] : [1, P1Data.Channels, size, size];
            _inputs[l] = [Own(OrtValue.CreateTensorValueFromMemory(map, mapShape)), roisValue, indexValue];
            _results[l] = new float[n * P1Data.Channels * P1Data.Roi * P1Data.Roi];
            long[] outShape = nhwc ? [n, P1Data.Roi, P1Data.Roi, P1Data.Channels] : [n, P1Data.Channels, P1Data.Roi, P1Data.Roi];
            _outputs[l] = [Own(OrtValue.CreateTensorValueFromMemory(_results[l], outShape))];
        }
    }

    public void Run()
    {
        for (var l = 0; l < _sessions.Length; l++)
        {
            _sessions[l].Run(_runOptions, InputNames, _inputs[l], OutputNames, _outputs[l]);
        }
    }

    /// <summary>The last outputs as [N, L, 14, 14, C] channels-last, to compare with the other implementations.</summary>
    public float[] ChannelsLast()
    {
        const int P = P1Data.Roi;
        const int C = P1Data.Channels;
        var levels = _sessions.Length;
        var output = new float[_n * levels * P * P * C];
        for (var n = 0; n < _n; n++)
        {
            for (var l = 0; l < levels; l++)
            {
                var src = _results[l];
                var dst = ((n * levels) + l) * P * P * C;
                for (var i = 0; i < P * P; i++)
                {
                    for (var c = 0; c < C; c++)
                    {
                        output[dst + (i * C) + c] = _nhwc ? src[(((n * P * P) + i) * C) + c] : src[(((n * C) + c) * P * P) + i];
                    }
                }
            }
        }

        return output;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _runOptions.Dispose();
    }

    private T Own<T>(T value)
        where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }
}
