using System.Buffers;
using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GPT4RoI.Core.Detection;

/// <summary>
/// A region provider: a detector folder's graph in ONNX Runtime (CUDA when available, else CPU, chosen the way the
/// engine chooses), its preprocessing (<see cref="DetectorPreprocessor"/>) and post-processing
/// (<see cref="DetectionDecoder"/>). Owns its session, session options and run options and disposes them together;
/// <see cref="Detect(DecodedImage, DetectionSettings?)"/> is thread-safe (ONNX Runtime's Run is).
/// </summary>
public sealed class Detector : IDisposable
{
    private readonly ILogger _logger;
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Opens and validates a detector folder and loads its graph.</summary>
    /// <exception cref="DetectorException">The folder, its manifest or the graph is missing or wrong, or ONNX Runtime
    /// cannot load the graph.</exception>
    public Detector(DetectorOptions options, ILogger<Detector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var sw = Stopwatch.StartNew();
        Folder = DetectorFolder.Open(options.Path, options.Verification);
        (_sessionOptions, ExecutionProvider) = OrtModel.CreateSessionOptions(options.ForceCpu, options.CudaDeviceId, options.IntraOpThreads, _logger);
        try
        {
            _session = new InferenceSession(Folder.GraphPath, _sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            _sessionOptions.Dispose();
            throw new DetectorException($"ONNX Runtime could not load '{Folder.GraphPath}': {ex.Message}", ex);
        }

        _inputNames = [Manifest.Input.Name];
        _outputNames = [.. Manifest.Output.OutputNames];
        foreach (var name in _outputNames)
        {
            if (!_session.OutputMetadata.ContainsKey(name))
            {
                Dispose();
                throw new DetectorException($"'{Folder.GraphPath}' has no output '{name}' (it has {string.Join(", ", _session.OutputMetadata.Keys)})");
            }
        }

        if (!_session.InputMetadata.ContainsKey(Manifest.Input.Name))
        {
            Dispose();
            throw new DetectorException($"'{Folder.GraphPath}' has no input '{Manifest.Input.Name}' (it has {string.Join(", ", _session.InputMetadata.Keys)})");
        }

        _runOptions = new RunOptions();
        Logs.DetectorLoaded(_logger, Manifest.ModelId, Manifest.Output.Layout.ToString().ToLowerInvariant(), Manifest.ClassNames.Length,
            Manifest.InputSize, Folder.Path, ExecutionProvider, sw.ElapsedMilliseconds);
    }

    /// <summary>The validated folder.</summary>
    public DetectorFolder Folder { get; }

    /// <summary>Its manifest.</summary>
    public DetectorManifest Manifest => Folder.Manifest;

    /// <summary>The manifest's model id.</summary>
    public string ModelId => Manifest.ModelId;

    /// <summary><c>CUDA</c> or <c>CPU</c>.</summary>
    public string ExecutionProvider { get; }

    /// <summary>The manifest's post-processing settings.</summary>
    public DetectionSettings DefaultSettings => DetectionSettings.From(Manifest.Postprocess);

    /// <summary>Detects objects in a decoded, EXIF-oriented image. Zero detections is a valid result.</summary>
    /// <exception cref="DetectorException">The graph's output does not match the manifest, or every score is NaN.</exception>
    public DetectionResult Detect(DecodedImage image, DetectionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Detect(image.Image, settings);
    }

    /// <summary>Detects objects in an RGB image (already EXIF-oriented).</summary>
    /// <exception cref="DetectorException">The graph's output does not match the manifest, or every score is NaN.</exception>
    public DetectionResult Detect(Image<Rgb24> image, DetectionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        settings ??= DefaultSettings;
        var size = Manifest.InputSize;
        var count = 3 * size * size;
        var pixels = ArrayPool<float>.Shared.Rent(count);
        try
        {
            var sw = Stopwatch.StartNew();
            var geometry = DetectorPreprocessor.Write(image, Manifest.Preprocess, pixels.AsSpan(0, count));
            var preprocessMs = sw.Elapsed.TotalMilliseconds;
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, count), [1, 3, size, size]);
            using var outputs = _session.Run(_runOptions, _inputNames, [input], _outputNames);
            var graphMs = sw.Elapsed.TotalMilliseconds - preprocessMs;
            var result = Decode(outputs, geometry, settings);
            var total = sw.Elapsed.TotalMilliseconds;
            if (result.NaNScores > 0)
            {
                Logs.DetectorNaNScores(_logger, result.NaNScores);
            }

            if (result.CappedCandidates > 0)
            {
                Logs.DetectorCandidatesCapped(_logger, result.CappedCandidates, result.Candidates, settings.MaxCandidates);
            }

            Logs.Detected(_logger, result.Detections.Count, image.Width, image.Height, result.Candidates, Math.Round(total, 2));
            return result with
            {
                TimingsMs = new Dictionary<string, double>
                {
                    ["preprocess"] = Math.Round(preprocessMs, 2),
                    ["graph"] = Math.Round(graphMs, 2),
                    ["postprocess"] = Math.Round(total - preprocessMs - graphMs, 2),
                },
            };
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
        }
    }

    /// <summary>The graph's raw output for an image (the <see cref="DetectorOutputLayout.Yolo"/> layout only), and where the
    /// image sat in the input: for tools that time or check the post-processing on its own
    /// (<see cref="DetectionDecoder.DecodeYolo"/>).</summary>
    /// <exception cref="DetectorException">The detector is not of the yolo layout.</exception>
    public float[] RawOutput(Image<Rgb24> image, out LetterboxGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Manifest.Output.Layout != DetectorOutputLayout.Yolo)
        {
            throw new DetectorException("raw outputs are read from yolo-layout detectors only");
        }

        var size = Manifest.InputSize;
        var count = 3 * size * size;
        var pixels = ArrayPool<float>.Shared.Rent(count);
        try
        {
            geometry = DetectorPreprocessor.Write(image, Manifest.Preprocess, pixels.AsSpan(0, count));
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, count), [1, 3, size, size]);
            using var outputs = _session.Run(_runOptions, _inputNames, [input], _outputNames);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
        }
    }

    /// <summary>Post-processes the graph's outputs (in <see cref="DetectorOutputSpec.OutputNames"/> order), checking
    /// their shapes against the manifest.</summary>
    /// <exception cref="DetectorException">A shape or element type does not match the manifest, or every score is NaN.</exception>
    internal DetectionResult Decode(IReadOnlyList<OrtValue> outputs, LetterboxGeometry geometry, DetectionSettings settings)
    {
        var m = Manifest;
        var o = m.Output;
        if (o.Layout == DetectorOutputLayout.Yolo)
        {
            var info = outputs[0].GetTensorTypeAndShape();
            var shape = info.Shape;
            var rows = 4 + m.ClassNames.Length;
            var expected = o.Output!.Shape;
            var ok = info.ElementDataType == TensorElementType.Float && shape.Length == 3 && shape[0] == 1 && shape[1] == rows &&
                     (expected[2] <= 0 || shape[2] == expected[2]);
            if (!ok)
            {
                throw new DetectorException(
                    $"the detector output '{o.Output.Name}' is {info.ElementDataType} {DetectorOutputSpec.ShapeText(shape)}; the manifest says float32 {DetectorOutputSpec.ShapeText(expected)} " +
                    $"(4 box rows + {m.ClassNames.Length} classes)");
            }

            return DetectionDecoder.DecodeYolo(outputs[0].GetTensorDataAsSpan<float>(), m.ClassNames.Length, checked((int)shape[2]), geometry, settings, m.ClassNames);
        }

        var boxes = outputs[0].GetTensorTypeAndShape();
        var scores = outputs[1].GetTensorTypeAndShape();
        var labels = outputs[2].GetTensorTypeAndShape();
        var n = scores.Shape.Length == 0 ? -1 : scores.Shape[^1];
        var boxesOk = boxes.ElementDataType == TensorElementType.Float &&
                      ((boxes.Shape.Length == 2 && boxes.Shape[1] == 4 && boxes.Shape[0] == n) ||
                       (boxes.Shape.Length == 3 && boxes.Shape[0] == 1 && boxes.Shape[2] == 4 && boxes.Shape[1] == n));
        var scoresOk = scores.ElementDataType == TensorElementType.Float && (scores.Shape.Length == 1 || (scores.Shape.Length == 2 && scores.Shape[0] == 1));
        var labelsOk = labels.ElementDataType is TensorElementType.Int64 or TensorElementType.Int32 &&
                       ((labels.Shape.Length == 1 && labels.Shape[0] == n) || (labels.Shape.Length == 2 && labels.Shape[0] == 1 && labels.Shape[1] == n));
        if (!boxesOk || !scoresOk || !labelsOk)
        {
            throw new DetectorException(
                $"the detector's decoded outputs are boxes {boxes.ElementDataType} {DetectorOutputSpec.ShapeText(boxes.Shape)}, scores {scores.ElementDataType} {DetectorOutputSpec.ShapeText(scores.Shape)}, " +
                $"labels {labels.ElementDataType} {DetectorOutputSpec.ShapeText(labels.Shape)}; the manifest's decoded layout needs [N, 4] (or [1, N, 4]) float32, [N] float32 and [N] int64");
        }

        if (labels.ElementDataType == TensorElementType.Int64)
        {
            return DetectionDecoder.DecodeRows(outputs[0].GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<float>(),
                outputs[2].GetTensorDataAsSpan<long>(), o.BoxFormat, o.BoxUnits, geometry, settings, m.ClassNames);
        }

        var ints = outputs[2].GetTensorDataAsSpan<int>();
        var wide = ArrayPool<long>.Shared.Rent(Math.Max(1, ints.Length));
        try
        {
            for (var i = 0; i < ints.Length; i++)
            {
                wide[i] = ints[i];
            }

            return DetectionDecoder.DecodeRows(outputs[0].GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<float>(),
                wide.AsSpan(0, ints.Length), o.BoxFormat, o.BoxUnits, geometry, settings, m.ClassNames);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(wide);
        }
    }

    /// <summary>Disposes the session, its options and the run options.</summary>
    public void Dispose()
    {
        _session?.Dispose();
        _runOptions?.Dispose();
        _sessionOptions?.Dispose();
    }
}
