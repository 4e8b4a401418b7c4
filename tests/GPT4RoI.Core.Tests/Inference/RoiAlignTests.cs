using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Inference;
using GPT4RoI.ModelTools.Tensors;
using GPT4RoI.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

using static GPT4RoI.TestSupport.TinyOnnx;

namespace GPT4RoI.Core.Tests.Inference;

public class RoiAlignTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5; // golden index.json: roi_features_relative
    private const int P = 14;

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GPT4RoI.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"GPT4RoI.Functions.sln not found above '{AppContext.BaseDirectory}'.");
    }

    private static string TinyDir => TinyModel.Path;

    /// <summary>max |a - b| / max(1, max |b|) over the pairs.</summary>
    private static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }

        Assert.False(double.IsNaN(maxDiff), "NaN in RoIAlign output");
        return maxDiff / Math.Max(1.0, maxRef);
    }

    private static RoiAlignLevel[] FixtureLevels(TensorBundle bundle, double[] strides) =>
        Enumerable.Range(0, strides.Length).Select(i =>
        {
            var map = bundle.Get($"map_{i}");
            var shape = map.Shape;
            return new RoiAlignLevel(map.AsFloat32(), (int)shape[0], (int)shape[1], (int)shape[2], strides[i]);
        }).ToArray();

    // ---------------------------------------------------------------- torchvision fixture

    [Theory]
    [InlineData("roi_features", 2)]
    [InlineData("roi_features_adaptive", 0)]
    public void Compute_TorchvisionFixture_MatchesWithinTolerance(string tensor, int samplingRatio)
    {
        var path = Path.Combine(TinyDir, "golden", "roi_align_fixture", "tensors.json");
        var bundle = TensorBundle.Load(path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var strides = root.GetProperty("feature_strides").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var options = new RoiAlignOptions
        {
            ImageSize = root.GetProperty("image_size").GetInt32(),
            OutputSize = root.GetProperty("roi_size").GetInt32(),
            SamplingRatio = samplingRatio,
        };
        var levels = FixtureLevels(bundle, strides);
        var boxes = bundle.Get("boxes_norm").AsFloat32();
        var expected = bundle.Get(tensor);
        Assert.Equal([boxes.Length / 4, strides.Length, options.OutputSize, options.OutputSize, levels[0].Channels], expected.Shape);

        var actual = new float[expected.ElementCount];
        RoiAlign.Compute(levels, boxes, actual, options);
        var error = RelativeError(actual, expected.AsFloat32());
        output.WriteLine($"{tensor}: relative error {error:E3}");
        Assert.True(error <= Tolerance, $"{tensor}: relative error {error:E3} > {Tolerance:E0}");

        var parallel = new float[actual.Length];
        RoiAlign.ComputeParallel(levels, boxes, parallel, options);
        Assert.Equal(actual, parallel);
    }

    // ---------------------------------------------------------------- model goldens (levels stored in full)

    [Theory]
    [MemberData(nameof(Goldens.Cases), MemberType = typeof(Goldens))]
    public void Compute_GoldenCaseFullMaps_MatchSampledRoiFeatures(string caseName)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TinyDir, "manifest.json")));
        var dims = manifest.RootElement.GetProperty("dims");
        var strides = dims.GetProperty("feature_strides").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var options = new RoiAlignOptions
        {
            ImageSize = dims.GetProperty("image_size").GetInt32(),
            OutputSize = dims.GetProperty("roi_size").GetInt32(),
            SamplingRatio = dims.GetProperty("sampling_ratio").GetInt32(),
        };

        var caseDir = Path.Combine(TinyDir, "golden", caseName);
        using var caseDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(caseDir, "case.json")));
        var sampled = caseDoc.RootElement.GetProperty("sampled");
        var bundle = TensorBundle.Load(Path.Combine(caseDir, "tensors.json"));
        var boxes = bundle.Get("boxes_norm").AsFloat32();
        var roiInfo = sampled.GetProperty("roi_features");
        var roiShape = roiInfo.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var roiStride = roiInfo.GetProperty("stride").GetInt32();
        var levelCount = strides.Length;
        Assert.Equal([boxes.Length / 4, levelCount, options.OutputSize, options.OutputSize], roiShape[..4]);
        var channels = roiShape[4];

        // Only levels whose map is stored in full (stride 1) can be recomputed; the others stay zero and are skipped.
        var full = new bool[levelCount];
        var actual = new float[RoiAlign.OutputLength(boxes.Length / 4, levelCount, options.OutputSize, channels)];
        for (var l = 0; l < levelCount; l++)
        {
            var info = sampled.GetProperty($"fused_map_{l}");
            if (info.GetProperty("stride").GetInt32() != 1)
            {
                continue;
            }

            var shape = info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            full[l] = true;
            AlignOneLevel(new RoiAlignLevel(bundle.Get($"fused_map_{l}").AsFloat32(), shape[0], shape[1], shape[2], strides[l]),
                boxes, l, levelCount, actual, options);
        }

        Assert.Contains(true, full);
        var golden = bundle.Get("roi_features").AsFloat32();
        var perLevel = options.OutputSize * options.OutputSize * channels;
        var expectedValues = new List<float>();
        var actualValues = new List<float>();
        for (var j = 0; j < golden.Length; j++)
        {
            var index = (long)j * roiStride;
            if (full[(int)(index / perLevel % levelCount)])
            {
                expectedValues.Add(golden[j]);
                actualValues.Add(actual[index]);
            }
        }

        Assert.NotEmpty(expectedValues);
        var error = RelativeError(actualValues.ToArray(), expectedValues.ToArray());
        output.WriteLine($"{caseName}: {expectedValues.Count} sampled values on full levels, relative error {error:E3}");
        Assert.True(error <= Tolerance, $"{caseName}: relative error {error:E3} > {Tolerance:E0}");
    }

    // ---------------------------------------------------------------- ONNX Runtime RoiAlign-16

    private static byte[] OrtRoiAlignModel(double[] strides, int channels, int samplingRatio) => Model(
        strides.Select((stride, l) => new Node(
            "RoiAlign",
            [$"X{l}", "rois", "batch_indices"],
            [$"Y{l}"],
            [("output_height", P), ("output_width", P), ("sampling_ratio", samplingRatio)],
            [("spatial_scale", (float)(1.0 / stride))],
            [("mode", "avg"), ("coordinate_transformation_mode", "half_pixel")])),
        strides.Select((_, l) => new ValueInfo($"X{l}", TinyOnnx.Float, ["1", channels.ToString(CultureInfo.InvariantCulture), $"H{l}", $"W{l}"]))
            .Append(new ValueInfo("rois", TinyOnnx.Float, ["R", "4"]))
            .Append(new ValueInfo("batch_indices", TinyOnnx.Int64, ["R"])),
        strides.Select((_, l) => new ValueInfo($"Y{l}", TinyOnnx.Float, ["R", channels.ToString(CultureInfo.InvariantCulture), "14", "14"])),
        opset: 16);

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void Compute_RealSizeMapsAgainstOnnxRuntime_MatchesWithinTolerance(int samplingRatio)
    {
        const int C = 1024;
        int[] sizes = [128, 64, 32, 16];
        var strides = sizes.Select(s => 224.0 / s).ToArray();
        float[] boxes =
        [
            0.1f, 0.2f, 0.6f, 0.9f,
            0f, 0f, 1f, 1f,
            -0.05f, 0.4f, 0.03f, 1.02f,
            0.5f, 0.5f, 0.5f + (1.5f / 224), 0.5f + (1f / 224),
        ];
        var n = boxes.Length / 4;
        var options = new RoiAlignOptions { SamplingRatio = samplingRatio };
        var random = new Random(1234 + samplingRatio);
        var maps = sizes.Select(s => Enumerable.Range(0, s * s * C).Select(_ => (random.NextSingle() * 4) - 2).ToArray()).ToArray();
        var levels = sizes.Select((s, l) => RoiAlignLevel.Square(maps[l], s, C, strides[l])).ToArray();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var actual = new float[RoiAlign.OutputLength(n, sizes.Length, P, C)];
        RoiAlign.Compute(levels, boxes, actual, options);
        var sequentialMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        var parallel = new float[actual.Length];
        RoiAlign.ComputeParallel(levels, boxes, parallel, options);
        var parallelMs = watch.Elapsed.TotalMilliseconds;
        Assert.Equal(actual, parallel);

        using var sessionOptions = new SessionOptions();
        using var session = new InferenceSession(OrtRoiAlignModel(strides, C, samplingRatio), sessionOptions);
        var inputs = new List<OrtValue>();
        try
        {
            for (var l = 0; l < sizes.Length; l++)
            {
                inputs.Add(OrtValue.CreateTensorValueFromMemory(ToNchw(maps[l], sizes[l], sizes[l], C), [1, C, sizes[l], sizes[l]]));
            }

            inputs.Add(OrtValue.CreateTensorValueFromMemory(boxes.Select(b => b * 224f).ToArray(), [n, 4]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[n], [n]));
            var inputNames = Enumerable.Range(0, sizes.Length).Select(l => $"X{l}").Append("rois").Append("batch_indices").ToArray();
            var outputNames = Enumerable.Range(0, sizes.Length).Select(l => $"Y{l}").ToArray();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputNames, inputs, outputNames);

            // ORT Y_l: [R, C, P, P] -> ours [N, L, P, P, C]
            var expected = new float[actual.Length];
            for (var l = 0; l < sizes.Length; l++)
            {
                var y = results[l].GetTensorDataAsSpan<float>();
                Assert.Equal(n * C * P * P, y.Length);
                for (var b = 0; b < n; b++)
                {
                    for (var c = 0; c < C; c++)
                    {
                        for (var p = 0; p < P * P; p++)
                        {
                            expected[((((b * sizes.Length) + l) * P * P) + p) * C + c] = y[(((b * C) + c) * P * P) + p];
                        }
                    }
                }
            }

            var error = RelativeError(actual, expected);
            output.WriteLine(
                $"sampling_ratio {samplingRatio}: relative error vs ORT {error:E3}; C# sequential {sequentialMs:F1} ms, parallel {parallelMs:F1} ms");
            Assert.True(error <= Tolerance, $"relative error vs ONNX Runtime {error:E3} > {Tolerance:E0}");
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }
    }

    private static float[] ToNchw(float[] hwc, int height, int width, int channels)
    {
        var chw = new float[hwc.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var src = ((y * width) + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    chw[(((c * height) + y) * width) + x] = hwc[src + c];
                }
            }
        }

        return chw;
    }

    // ---------------------------------------------------------------- behaviour

    [Fact]
    public void Compute_ConstantMapBoxInside_ReturnsConstant()
    {
        const int C = 5; // not a multiple of the vector width: exercises the scalar tail
        var map = Enumerable.Repeat(3.5f, 16 * 16 * C).ToArray();
        var result = new float[RoiAlign.OutputLength(1, 1, P, C)];
        RoiAlign.Compute([RoiAlignLevel.Square(map, 16, C, 14)], [0.25f, 0.25f, 0.75f, 0.75f], result);
        Assert.All(result, v => Assert.Equal(3.5f, v, 1e-5f));
    }

    [Fact]
    public void Compute_SingleCellMap_ReturnsItsValue()
    {
        float[] map = [1f, -2f];
        var result = new float[RoiAlign.OutputLength(1, 1, P, 2)];
        RoiAlign.Compute([new RoiAlignLevel(map, 1, 1, 2, 224)], [0f, 0f, 1f, 1f], result);
        for (var i = 0; i < result.Length; i += 2)
        {
            Assert.Equal(1f, result[i], 1e-6f);
            Assert.Equal(-2f, result[i + 1], 1e-6f);
        }
    }

    [Theory]
    [InlineData(2f, 2f, 3f, 3f, 2)] // beyond the bottom-right edge
    [InlineData(-3f, -3f, -2f, -2f, 2)] // beyond the top-left edge
    [InlineData(0.6f, 0.6f, 0.4f, 0.4f, 0)] // inverted box, adaptive sampling: no samples
    public void Compute_NoSampleInsideMap_OverwritesWithZeros(float x1, float y1, float x2, float y2, int samplingRatio)
    {
        const int C = 16;
        var map = Enumerable.Range(0, 8 * 8 * C).Select(i => (float)i).ToArray();
        var result = Enumerable.Repeat(float.NaN, RoiAlign.OutputLength(1, 1, P, C)).ToArray();
        RoiAlign.Compute([RoiAlignLevel.Square(map, 8, C, 28)], [x1, y1, x2, y2], result, new RoiAlignOptions { SamplingRatio = samplingRatio });
        Assert.All(result, v => Assert.Equal(0f, v));
    }

    // ---------------------------------------------------------------- argument validation

    private static RoiAlignLevel SmallLevel(int channels = 4) => RoiAlignLevel.Square(new float[4 * 4 * channels], 4, channels, 56);

    [Fact]
    public void RoiAlignLevel_MapLengthMismatch_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RoiAlignLevel(new float[10], 2, 2, 3, 1));
        Assert.Contains("needs 12", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2, 3)]
    [InlineData(2, -1, 3)]
    [InlineData(2, 2, 0)]
    public void RoiAlignLevel_NonPositiveSize_ThrowsArgumentException(int height, int width, int channels)
    {
        var ex = Assert.Throws<ArgumentException>(() => new RoiAlignLevel(new float[12], height, width, channels, 1));
        Assert.Contains("must be positive", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.75)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RoiAlignLevel_BadStride_ThrowsArgumentException(double stride)
    {
        var ex = Assert.Throws<ArgumentException>(() => RoiAlignLevel.Square(new float[4], 2, 1, stride));
        Assert.Contains("stride", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_NullLevels_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RoiAlign.Compute(null!, new float[4], new float[P * P * 4]));

    [Fact]
    public void Compute_NoLevels_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => RoiAlign.Compute([], new float[4], []));
        Assert.Contains("at least one", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_ChannelCountsDiffer_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(
            () => RoiAlign.Compute([SmallLevel(4), SmallLevel(8)], new float[4], new float[2 * P * P * 4]));
        Assert.Contains("level 1 has 8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_BoxesNotMultipleOfFour_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => RoiAlign.Compute([SmallLevel()], new float[6], new float[P * P * 4]));
        Assert.Contains("N x 4", ex.Message, StringComparison.Ordinal);
        Assert.Equal("boxesNorm", ex.ParamName);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Compute_NonFiniteBoxCoordinate_ThrowsArgumentException(float value)
    {
        float[] boxes = [0f, 0f, 1f, 1f, 0.1f, 0.2f, value, 0.5f];
        var ex = Assert.Throws<ArgumentException>(() => RoiAlign.Compute([SmallLevel()], boxes, new float[2 * P * P * 4]));
        Assert.Contains("box 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Compute_OutputLengthMismatch_ThrowsArgumentException(int delta)
    {
        var ex = Assert.Throws<ArgumentException>(
            () => RoiAlign.Compute([SmallLevel(), SmallLevel()], new float[8], new float[(2 * 2 * P * P * 4) + delta]));
        Assert.Contains("needs 3136", ex.Message, StringComparison.Ordinal);
        Assert.Equal("output", ex.ParamName);
    }

    [Fact]
    public void ComputeParallel_OutputLengthMismatch_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => RoiAlign.ComputeParallel([SmallLevel()], new float[4], new float[3]));

    [Theory]
    [InlineData(0, 14, -1)]
    [InlineData(224, 0, -1)]
    [InlineData(224, 14, 0)]
    [InlineData(224, 14, -2)]
    public void Compute_InvalidOptions_ThrowsArgumentException(int imageSize, int outputSize, int maxDegree)
    {
        var options = new RoiAlignOptions { ImageSize = imageSize, OutputSize = outputSize, MaxDegreeOfParallelism = maxDegree };
        var ex = Assert.Throws<ArgumentException>(() => RoiAlign.Compute([SmallLevel()], new float[4], new float[P * P * 4], options));
        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void Compute_HugeBoxWithAdaptiveSampling_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => RoiAlign.Compute(
            [SmallLevel()], [0f, 0f, 1e9f, 1e9f], new float[P * P * 4], new RoiAlignOptions { SamplingRatio = 0 }));
        Assert.Contains("adaptive", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>RoIAlign of every box on one level, written into level <paramref name="levelIndex"/> of an
    /// <c>[N, levelCount, P, P, C]</c> output (the golden cases store only some levels in full).</summary>
    private static void AlignOneLevel(RoiAlignLevel level, float[] boxes, int levelIndex, int levelCount, float[] output, RoiAlignOptions options)
    {
        var n = boxes.Length / 4;
        var chunk = options.OutputSize * options.OutputSize * level.Channels;
        var one = new float[RoiAlign.OutputLength(n, 1, options.OutputSize, level.Channels)];
        RoiAlign.Compute([level], boxes, one, options);
        for (var b = 0; b < n; b++)
        {
            one.AsSpan(b * chunk, chunk).CopyTo(output.AsSpan(((b * levelCount) + levelIndex) * chunk, chunk));
        }
    }
}
