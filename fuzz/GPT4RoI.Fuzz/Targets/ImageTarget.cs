using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// Image bytes through <see cref="ImageDecoder.Decode(ReadOnlyMemory{byte}, string, ImageLimits?)"/> with its limits
/// (smaller pixel limits than the service's, so an execution stays short). One target per format, each with its own
/// seed corpus; every target accepts any bytes. Refused only with an <see cref="ImageInputException"/>; a decoded
/// image is within the limits.
/// </summary>
internal sealed class ImageTarget(string format) : FuzzTarget
{
    private static readonly ImageLimits BaseLimits = new()
    {
        MaxPixels = 4_000_000,
        MaxSide = 4096,
        DecodeMemoryLimitMegabytes = 256,
        AllocationLimitMegabytes = 128,
    };

    /// <summary>
    /// Lossless WebP (VP8L) is refused unless <c>--lossless-webp</c> is given: its decoder's unbounded Huffman tables
    /// are an open finding (docs/security.md) that would stop every run on the first such input.
    /// </summary>
    internal static bool IncludeLosslessWebp { get; set; }

    internal static ImageLimits Limits => BaseLimits with { AllowLosslessWebp = IncludeLosslessWebp };

    public override string Name => "image-" + format;

    public override string Description => $"{format.ToUpperInvariant()} seeds through ImageDecoder.Decode (header checks, metadata budget, memory caps)";

    public override int MaxInputBytes => 256 * 1024;

    public override IReadOnlyList<byte[]> Dictionary { get; } = format switch
    {
        "png" => Tokens("IHDR", "IDAT", "IEND", "zTXt", "iTXt", "tEXt", "eXIf", "iCCP", "PLTE", "tRNS", "acTL", "fcTL"),
        "jpeg" => [[0xFF, 0xD8], [0xFF, 0xD9], [0xFF, 0xDA], [0xFF, 0xC0], [0xFF, 0xC2], [0xFF, 0xC4], [0xFF, 0xDB], [0xFF, 0xDD],
            [0xFF, 0xE1], [0xFF, 0xE2], [0xFF, 0xEE], .. Tokens("Exif\0\0", "ICC_PROFILE\0", "Adobe", "http://ns.adobe.com/xap/1.0/\0")],
        "webp" => Tokens("RIFF", "WEBP", "VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "EXIF", "XMP ", "ICCP"),
        "gif" => Tokens("GIF89a", "GIF87a", "NETSCAPE2.0", "XMP DataXMP", "!\u00F9", ",", ";"),
        _ => Tokens("BM", "BA", "CI", "CP"),
    };

    public override void Run(ReadOnlySpan<byte> data)
    {
        var limits = Limits;
        using var image = ImageDecoder.Decode(data.ToArray(), "fuzz", limits);
        if (image.Width <= 0 || image.Height <= 0 || (long)image.Width * image.Height > limits.MaxPixels
            || image.Width > limits.MaxSide || image.Height > limits.MaxSide)
        {
            throw new FuzzInvariantException($"decoded an image of {image.Width}x{image.Height}, outside the limits");
        }
    }

    public override bool IsExpected(Exception exception) => exception is ImageInputException;
}
