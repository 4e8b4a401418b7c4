using System.Globalization;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Inference;
using GPT4RoI.ModelTools.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.ModelTools;

/// <summary>
/// Runs ONNX graphs on the CPU provider with inputs from a tensor bundle and compares every output
/// listed in a reference bundle (max abs error, in float32).
/// </summary>
public sealed class ParityChecker
{
    /// <summary>Suffix of the manifests that <see cref="RunDirectory"/> picks up.</summary>
    public const string ManifestSuffix = ".parity.json";

    private readonly TextWriter _output;

    /// <summary>Creates a checker that prints its report to <paramref name="output"/>.</summary>
    public ParityChecker(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>
    /// Checks every <c>*.parity.json</c> in <paramref name="directory"/>, sorted by file name, printing one line per
    /// output and a summary line. Returns 0 when all pass and 1 when any fails.
    /// </summary>
    /// <exception cref="ParityInputException">A usage or input error (exit code 2).</exception>
    public int RunDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new ParityInputException($"parity directory '{full}' not found.");
        }

        var specs = Directory.GetFiles(full, "*" + ManifestSuffix)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (specs.Count == 0)
        {
            throw new ParityInputException($"parity directory '{full}' has no *{ManifestSuffix} files.");
        }

        var results = new List<ParityResult>();
        foreach (var spec in specs)
        {
            foreach (var result in Check(ParitySpec.Load(spec)))
            {
                _output.WriteLine(result.Format());
                results.Add(result);
            }
        }

        var failed = results.Count(r => !r.Passed);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parity: {results.Count} outputs, {failed} failed"));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Runs one graph and compares its outputs with the reference bundle.</summary>
    /// <exception cref="ParityInputException">A file is missing or malformed, or names do not match the graph.</exception>
    public static IReadOnlyList<ParityResult> Check(ParitySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!File.Exists(spec.ModelPath))
        {
            throw new ParityInputException($"parity file '{spec.SpecPath}': model '{spec.ModelPath}' not found.");
        }

        var inputs = LoadBundle(spec, spec.InputsPath);
        var expected = LoadBundle(spec, spec.OutputsPath);
        if (expected.Names.Count == 0)
        {
            throw new ParityInputException($"parity file '{spec.SpecPath}': outputs bundle '{spec.OutputsPath}' has no tensors.");
        }

        using var sessionOptions = new SessionOptions();
        using var runOptions = new RunOptions();
        InferenceSession session;
        try
        {
            session = new InferenceSession(spec.ModelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ParityInputException($"parity file '{spec.SpecPath}': cannot load model '{spec.ModelPath}': {ex.Message}", ex);
        }

        using (session)
        {
            var graphInputs = session.InputNames;
            var missing = graphInputs.Where(n => !inputs.Contains(n)).ToList();
            var extra = inputs.Names.Where(n => !graphInputs.Contains(n)).ToList();
            if (missing.Count > 0 || extra.Count > 0)
            {
                throw new ParityInputException(
                    $"parity file '{spec.SpecPath}': inputs bundle '{spec.InputsPath}' does not match graph inputs of '{spec.ModelPath}'" +
                    $" (missing: [{string.Join(", ", missing)}], not in graph: [{string.Join(", ", extra)}]).");
            }

            var unknownOutputs = expected.Names.Where(n => !session.OutputNames.Contains(n)).ToList();
            if (unknownOutputs.Count > 0)
            {
                throw new ParityInputException(
                    $"parity file '{spec.SpecPath}': outputs bundle '{spec.OutputsPath}' names outputs not in '{spec.ModelPath}': " +
                    $"[{string.Join(", ", unknownOutputs)}] (graph outputs: [{string.Join(", ", session.OutputNames)}]).");
            }

            var inputValues = new List<OrtValue>();
            try
            {
                foreach (var name in graphInputs)
                {
                    inputValues.Add(ToOrtValue(spec, inputs.Get(name)));
                }

                var outputNames = expected.Names.ToList();
                IDisposableReadOnlyCollection<OrtValue> outputs;
                try
                {
                    outputs = session.Run(runOptions, graphInputs, inputValues, outputNames);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new ParityInputException($"parity file '{spec.SpecPath}': running '{spec.ModelPath}' failed: {ex.Message}", ex);
                }

                using (outputs)
                {
                    var results = new List<ParityResult>(outputNames.Count);
                    var i = 0;
                    foreach (var actual in outputs)
                    {
                        results.Add(Compare(spec, expected.Get(outputNames[i]), actual));
                        i++;
                    }

                    return results;
                }
            }
            finally
            {
                foreach (var value in inputValues)
                {
                    value.Dispose();
                }
            }
        }
    }

    /// <summary>Max abs error between two equally long float32 sequences; NaN if any position differs in NaN-ness.</summary>
    public static double MaxAbsError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException("Lengths differ.", nameof(actual));
        }

        var max = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            var a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a))
            {
                if (float.IsNaN(e) && float.IsNaN(a))
                {
                    continue;
                }

                return double.NaN;
            }

            if (e == a)
            {
                continue; // also equal infinities
            }

            var diff = MathF.Abs(e - a);
            if (float.IsNaN(diff))
            {
                return double.NaN;
            }

            if (diff > max)
            {
                max = diff;
            }
        }

        return max;
    }

    private static TensorBundle LoadBundle(ParitySpec spec, string path)
    {
        try
        {
            return TensorBundle.Load(path);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ParityInputException($"parity file '{spec.SpecPath}': {ex.Message}", ex);
        }
    }

    private static OrtValue ToOrtValue(ParitySpec spec, TensorData tensor)
    {
        var shape = tensor.Shape;
        return tensor.Dtype switch
        {
            TensorDtype.Float32 => OrtValue.CreateTensorValueFromMemory(tensor.AsFloat32(), shape),
            TensorDtype.Float16 => OrtValue.CreateTensorValueFromMemory(
                Array.ConvertAll(tensor.AsFloat16Bits(), bits => new Float16(bits)), shape),
            TensorDtype.Int64 => OrtValue.CreateTensorValueFromMemory(tensor.AsInt64(), shape),
            TensorDtype.Int32 => OrtValue.CreateTensorValueFromMemory(tensor.AsInt32(), shape),
            TensorDtype.UInt8 => OrtValue.CreateTensorValueFromMemory(tensor.AsBytes(), shape),
            _ => throw new ParityInputException($"parity file '{spec.SpecPath}': tensor '{tensor.Name}' has unsupported dtype {tensor.Dtype}."),
        };
    }

    private static ParityResult Compare(ParitySpec spec, TensorData expected, OrtValue actual)
    {
        var info = actual.GetTensorTypeAndShape();
        var actualShape = info.Shape;
        var expectedShape = expected.Shape;
        if (!actualShape.AsSpan().SequenceEqual(expectedShape))
        {
            return new ParityResult(spec.Graph, expected.Name, actualShape, expectedShape, double.NaN, spec.Tolerance);
        }

        var actualValues = ToFloat32(spec, expected.Name, actual, info.ElementDataType);
        var expectedValues = expected.Dtype switch
        {
            TensorDtype.Float32 or TensorDtype.Float16 => expected.AsFloat32(),
            _ => Array.ConvertAll(expected.AsInt64(), v => (float)v),
        };
        return new ParityResult(
            spec.Graph, expected.Name, actualShape, null, MaxAbsError(expectedValues, actualValues), spec.Tolerance);
    }

    private static float[] ToFloat32(ParitySpec spec, string name, OrtValue value, TensorElementType type)
    {
        switch (type)
        {
            case TensorElementType.Float:
                return value.GetTensorDataAsSpan<float>().ToArray();
            case TensorElementType.Float16:
                {
                    var span = value.GetTensorDataAsSpan<Float16>();
                    var result = new float[span.Length];
                    HalfPrecision.ToSingle(span, result);
                    return result;
                }

            case TensorElementType.Int64:
                {
                    var span = value.GetTensorDataAsSpan<long>();
                    var result = new float[span.Length];
                    for (var i = 0; i < span.Length; i++)
                    {
                        result[i] = span[i];
                    }

                    return result;
                }

            case TensorElementType.Int32:
                {
                    var span = value.GetTensorDataAsSpan<int>();
                    var result = new float[span.Length];
                    for (var i = 0; i < span.Length; i++)
                    {
                        result[i] = span[i];
                    }

                    return result;
                }

            case TensorElementType.UInt8:
                {
                    var span = value.GetTensorDataAsSpan<byte>();
                    var result = new float[span.Length];
                    for (var i = 0; i < span.Length; i++)
                    {
                        result[i] = span[i];
                    }

                    return result;
                }

            default:
                throw new ParityInputException(
                    $"parity file '{spec.SpecPath}': output '{name}' has unsupported element type {type}.");
        }
    }
}
