using GPT4RoI.Core.Errors;
using GPT4RoI.ModelTools.Tensors;
using GPT4RoI.TestSupport;

using static GPT4RoI.TestSupport.TinyOnnx;

namespace GPT4RoI.ModelTools.Tests;

public class ParityCheckerTests
{
    // z = x + y (float32), hf = Cast(h: float16 -> float32), ids_out = Identity(ids: int64),
    // i32_out = Identity(i32: int32), kv = Concat(past, cur, axis=2) with a zero-length past.
    private static byte[] TinyModel() => Model(
        [
            new Node("Add", ["x", "y"], ["z"]),
            new Node("Cast", ["h"], ["hf"], [("to", TinyOnnx.Float)]),
            new Node("Identity", ["ids"], ["ids_out"]),
            new Node("Identity", ["i32"], ["i32_out"]),
            new Node("Concat", ["past", "cur"], ["kv"], [("axis", 2)]),
        ],
        [
            new ValueInfo("x", TinyOnnx.Float, ["N", "3"]),
            new ValueInfo("y", TinyOnnx.Float, ["N", "3"]),
            new ValueInfo("h", TinyOnnx.Float16, ["M"]),
            new ValueInfo("ids", TinyOnnx.Int64, ["1", "S"]),
            new ValueInfo("i32", TinyOnnx.Int32, ["K"]),
            new ValueInfo("past", TinyOnnx.Float, ["1", "2", "P", "4"]),
            new ValueInfo("cur", TinyOnnx.Float, ["1", "2", "C", "4"]),
        ],
        [
            new ValueInfo("z", TinyOnnx.Float, ["N", "3"]),
            new ValueInfo("hf", TinyOnnx.Float, ["M"]),
            new ValueInfo("ids_out", TinyOnnx.Int64, ["1", "S"]),
            new ValueInfo("i32_out", TinyOnnx.Int32, ["K"]),
            new ValueInfo("kv", TinyOnnx.Float, ["1", "2", "T", "4"]),
        ]);

    private static readonly float[] Cur = Enumerable.Range(0, 8).Select(i => i * 0.5f).ToArray();

    private static TensorData[] Inputs() =>
    [
        TensorData.FromFloat32("x", [2, 3], [1, 2, 3, 4, 5, 6]),
        TensorData.FromFloat32("y", [2, 3], [0.5f, 0.5f, 0.5f, -1, -1, -1]),
        TensorData.FromFloat16("h", [2], [1.5f, -2f]),
        TensorData.FromInt64("ids", [1, 3], [1, 29871, 32000]),
        TensorData.FromInt32("i32", [2], [4, -4]),
        TensorData.FromFloat32("past", [1, 2, 0, 4], []),
        TensorData.FromFloat32("cur", [1, 2, 1, 4], Cur),
    ];

    private static TensorData[] Outputs(float zError = 0f) =>
    [
        TensorData.FromFloat32("z", [2, 3], [1.5f + zError, 2.5f, 3.5f, 3, 4, 5]),
        TensorData.FromFloat32("hf", [2], [1.5f, -2f]),
        TensorData.FromInt64("ids_out", [1, 3], [1, 29871, 32000]),
        TensorData.FromInt32("i32_out", [2], [4, -4]),
        TensorData.FromFloat16("kv", [1, 2, 1, 4], Cur),
    ];

    private static void WriteCase(TempDirectory dir, string graph, TensorData[] outputs, double tolerance = 1e-4, TensorData[]? inputs = null)
    {
        Directory.CreateDirectory(dir.File("parity"));
        File.WriteAllBytes(dir.File("tiny.onnx"), TinyModel());
        TensorBundleWriter.Write(dir.File($"parity/{graph}.inputs.json"), inputs ?? Inputs());
        TensorBundleWriter.Write(dir.File($"parity/{graph}.outputs.json"), outputs);
        File.WriteAllText(
            dir.File($"parity/{graph}.parity.json"),
            $$"""
            { "graph": "{{graph}}", "model": "../tiny.onnx", "inputs": "{{graph}}.inputs.json", "outputs": "{{graph}}.outputs.json", "tolerance": {{tolerance.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}} }
            """);
    }

    private static (int ExitCode, string[] Lines) Run(string dir)
    {
        using var output = new StringWriter();
        var code = new ParityChecker(output).RunDirectory(dir);
        return (code, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void RunDirectory_MatchingOutputs_ReturnsZeroAndPrintsOkLines()
    {
        using var dir = new TempDirectory();
        WriteCase(dir, "tiny", Outputs());

        var (code, lines) = Run(dir.File("parity"));

        Assert.Equal(0, code);
        Assert.Equal(6, lines.Length);
        Assert.Equal("tiny z shape=[2,3] max_abs_err=0.000E+000 tol=1.0E-004 OK", lines[0]);
        Assert.StartsWith("tiny kv shape=[1,2,1,4] max_abs_err=", lines[4], StringComparison.Ordinal);
        Assert.All(lines.Take(5), l => Assert.EndsWith(" OK", l, StringComparison.Ordinal));
        Assert.Equal("parity: 5 outputs, 0 failed", lines[5]);
    }

    [Fact]
    public void RunDirectory_ErrorAboveTolerance_ReturnsFailedAndPrintsFail()
    {
        using var dir = new TempDirectory();
        WriteCase(dir, "b_bad", Outputs(zError: 0.01f));
        WriteCase(dir, "a_good", Outputs());

        var (code, lines) = Run(dir.File("parity"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.StartsWith("a_good z ", lines[0], StringComparison.Ordinal); // sorted by file name
        var bad = Assert.Single(lines, l => l.StartsWith("b_bad z ", StringComparison.Ordinal));
        Assert.Contains("max_abs_err=1.000E-002", bad, StringComparison.Ordinal);
        Assert.EndsWith(" FAIL", bad, StringComparison.Ordinal);
        Assert.Equal("parity: 10 outputs, 1 failed", lines[^1]);
    }

    [Fact]
    public void RunDirectory_ShapeMismatch_Fails()
    {
        using var dir = new TempDirectory();
        var outputs = Outputs();
        outputs[1] = TensorData.FromFloat32("hf", [1, 2], [1.5f, -2f]);
        WriteCase(dir, "tiny", outputs);

        var (code, lines) = Run(dir.File("parity"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains(lines, l => l.StartsWith("tiny hf shape=[2] ", StringComparison.Ordinal) && l.Contains("FAIL", StringComparison.Ordinal));
    }

    [Fact]
    public void RunDirectory_MissingModel_ThrowsInputErrorNamingFile()
    {
        using var dir = new TempDirectory();
        WriteCase(dir, "tiny", Outputs());
        File.Delete(dir.File("tiny.onnx"));

        var ex = Assert.Throws<ParityInputException>(() => Run(dir.File("parity")));

        Assert.Contains("tiny.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tiny.parity.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunDirectory_InputMissingFromBundle_ThrowsInputError()
    {
        using var dir = new TempDirectory();
        WriteCase(dir, "tiny", Outputs(), inputs: Inputs().Where(t => t.Name != "cur").ToArray());

        var ex = Assert.Throws<ParityInputException>(() => Run(dir.File("parity")));

        Assert.Contains("cur", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunDirectory_UnknownOutputName_ThrowsInputError()
    {
        using var dir = new TempDirectory();
        WriteCase(dir, "tiny", [.. Outputs(), TensorData.FromFloat32("logits", [1], [0f])]);

        var ex = Assert.Throws<ParityInputException>(() => Run(dir.File("parity")));

        Assert.Contains("logits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunDirectory_NoParityFiles_ThrowsInputError()
    {
        using var dir = new TempDirectory();

        var ex = Assert.Throws<ParityInputException>(() => Run(dir.Path));

        Assert.Contains(".parity.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedSpec_ThrowsInputErrorNamingFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("x.parity.json"), """{ "graph": "x", "model": "m.onnx" }""");

        var ex = Assert.Throws<ParityInputException>(() => ParitySpec.Load(dir.File("x.parity.json")));

        Assert.Contains("x.parity.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new float[] { 1, 2 }, new float[] { 1, 2 }, 0.0)]
    [InlineData(new float[] { 1, 2 }, new float[] { 1.5f, 1 }, 1.0)]
    [InlineData(new float[] { float.NaN }, new float[] { float.NaN }, 0.0)]
    [InlineData(new float[] { float.PositiveInfinity }, new float[] { float.PositiveInfinity }, 0.0)]
    public void MaxAbsError_Values_ReturnsLargestDifference(float[] expected, float[] actual, double result)
    {
        Assert.Equal(result, ParityChecker.MaxAbsError(expected, actual));
    }

    [Fact]
    public void MaxAbsError_NaNInOneSide_ReturnsNaN()
    {
        Assert.True(double.IsNaN(ParityChecker.MaxAbsError([1f, float.NaN], [1f, 2f])));
    }
}
