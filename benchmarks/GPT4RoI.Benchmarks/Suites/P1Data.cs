using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>The P1 inputs, read once per process.</summary>
internal sealed class P1Data
{
    public const int Channels = 1024;
    public const int Roi = 14;
    public const int ImageSize = 224;
    private static readonly int[] Sizes = [128, 64, 32, 16];
    private static readonly double[] Strides = [14.0 / 8, 14.0 / 4, 14.0 / 2, 14.0];
    private static readonly Lock Gate = new();
    private static P1Data? _loaded;

    private readonly float[] _boxes;

    private P1Data(string directory, bool quick)
    {
        Directory = directory;
        Levels = new RoiAlignLevel[Sizes.Length];
        Nchw = new float[Sizes.Length][];
        for (var l = 0; l < Sizes.Length; l++)
        {
            var (map, shape) = Npy.ReadFloat32(Path.Combine(directory, "maps", $"map_{l}.npy"));
            if (shape.Length != 3 || shape[0] != Sizes[l] || shape[1] != Sizes[l] || shape[2] != Channels)
            {
                throw new InvalidDataException($"map_{l}.npy: shape [{string.Join(",", shape)}], expected [{Sizes[l]},{Sizes[l]},{Channels}]");
            }

            Levels[l] = RoiAlignLevel.Square(map, Sizes[l], Channels, Strides[l]);
            Nchw[l] = ToNchw(map, Sizes[l], Channels);
        }

        (_boxes, _) = Npy.ReadFloat32(Path.Combine(directory, "boxes.npy"));
        BoxCounts = quick ? [1] : [1, 8, 32];
    }

    public string Directory { get; }

    public RoiAlignLevel[] Levels { get; }

    /// <summary>The same maps in NCHW [1, C, S, S], for ONNX Runtime's native layout.</summary>
    public float[][] Nchw { get; }

    public int[] BoxCounts { get; }

    public static int[] SizesOf => Sizes;

    public static P1Data Load(BenchContext context)
    {
        lock (Gate)
        {
            return _loaded ??= new P1Data(context.BenchDirectory(P1RoiAlign.Id), context.Quick);
        }
    }

    /// <summary>The first <paramref name="n"/> boxes, normalised xyxy.</summary>
    public float[] Boxes(int n) => _boxes.AsSpan(0, 4 * n).ToArray();

    private static float[] ToNchw(float[] hwc, int size, int channels)
    {
        var chw = new float[hwc.Length];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var src = ((y * size) + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    chw[(c * size * size) + (y * size) + x] = hwc[src + c];
                }
            }
        }

        return chw;
    }
}
