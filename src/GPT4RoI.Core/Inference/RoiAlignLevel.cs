namespace GPT4RoI.Core.Inference;

/// <summary>
/// One feature level for <see cref="RoiAlign"/>: a channels-last map <c>[Height, Width, Channels]</c> (batch 1)
/// and its stride in input pixels (the spatial scale is <c>1 / stride</c>).
/// </summary>
public sealed class RoiAlignLevel
{
    /// <summary>Creates a level, checking that <paramref name="map"/> holds exactly <c>height * width * channels</c> values.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the stride is not a positive finite number, or the map length does not match.</exception>
    public RoiAlignLevel(ReadOnlyMemory<float> map, int height, int width, int channels, double stride)
    {
        RoiAlign.ValidateLevel(map.Length, height, width, channels, stride, "level");
        Map = map;
        Height = height;
        Width = width;
        Channels = channels;
        Stride = stride;
    }

    /// <summary>A square level <c>[size, size, channels]</c>.</summary>
    public static RoiAlignLevel Square(ReadOnlyMemory<float> map, int size, int channels, double stride) =>
        new(map, size, size, channels, stride);

    /// <summary>Channels-last values, <c>[Height, Width, Channels]</c> in row-major order.</summary>
    public ReadOnlyMemory<float> Map { get; }

    /// <summary>Map height.</summary>
    public int Height { get; }

    /// <summary>Map width.</summary>
    public int Width { get; }

    /// <summary>Channels per position.</summary>
    public int Channels { get; }

    /// <summary>Stride in input pixels (e.g. 224 / 128 = 1.75).</summary>
    public double Stride { get; }

    /// <summary>Spatial scale <c>(float)(1 / stride)</c>, as torchvision receives it.</summary>
    public float SpatialScale => (float)(1.0 / Stride);
}
