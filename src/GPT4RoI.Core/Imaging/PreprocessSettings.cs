using System.Globalization;

namespace GPT4RoI.Core.Imaging;

/// <summary>Model input geometry and per-channel normalisation: output is [3, Size, Size] of (x/255 - mean) / std.</summary>
public sealed record PreprocessSettings
{
    /// <summary>Creates settings; mean and std are per RGB channel.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Size is not positive, or mean/std do not have 3 finite values (std &gt; 0).</exception>
    public PreprocessSettings(int size, IReadOnlyList<float> mean, IReadOnlyList<float> std, PreprocessMode mode = PreprocessMode.StretchBilinear)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 8192);
        if (mean.Count != 3 || mean.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), "mean must have 3 finite values (R, G, B).");
        }

        if (std.Count != 3 || std.Any(s => !float.IsFinite(s) || s <= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(std), "std must have 3 finite positive values (R, G, B).");
        }

        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown preprocessing mode");
        }

        Size = size;
        Mode = mode;
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>Output height and width.</summary>
    public int Size { get; }

    /// <summary>How the image is resized (manifest <c>preprocess.mode</c>).</summary>
    public PreprocessMode Mode { get; }

    /// <summary>The manifest spelling of a mode: <c>stretch_bilinear</c> (also when absent) or <c>clip_processor_stretch</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Another value.</exception>
    public static PreprocessMode ParseMode(string? mode) => mode switch
    {
        null or "stretch_bilinear" => PreprocessMode.StretchBilinear,
        "clip_processor_stretch" => PreprocessMode.ClipProcessorStretch,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "preprocess.mode must be stretch_bilinear or clip_processor_stretch"),
    };

    /// <summary>Per-channel mean (R, G, B), applied after scaling to [0, 1].</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel standard deviation (R, G, B).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Number of floats in one image: 3 × Size × Size.</summary>
    public int ElementCount => 3 * Size * Size;

    /// <summary>Creates settings from the manifest's "preprocess" values (resize [h, w], mean, std, scale, mode).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The values are not square, not 3 channels, or the scale is not 1/255.</exception>
    public static PreprocessSettings FromManifest(
        IReadOnlyList<int> resize, IReadOnlyList<double> mean, IReadOnlyList<double> std, double scale, string? mode = null)
    {
        ArgumentNullException.ThrowIfNull(resize);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (resize.Count != 2 || resize[0] != resize[1])
        {
            throw new ArgumentOutOfRangeException(
                nameof(resize), $"resize must be [size, size]; got [{string.Join(", ", resize)}].");
        }

        if (Math.Abs(scale * 255.0 - 1.0) > 1e-9)
        {
            throw new ArgumentOutOfRangeException(
                nameof(scale), scale, "only scale = 1/255 is supported (" + (1 / 255.0).ToString("R", CultureInfo.InvariantCulture) + ").");
        }

        return new PreprocessSettings(resize[0], mean.Select(m => (float)m).ToArray(), std.Select(s => (float)s).ToArray(), ParseMode(mode));
    }
}
