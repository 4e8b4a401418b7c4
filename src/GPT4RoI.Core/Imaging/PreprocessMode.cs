namespace GPT4RoI.Core.Imaging;

/// <summary>How the image is resized to the vision input (manifest <c>preprocess.mode</c>; docs/model-format.md).</summary>
public enum PreprocessMode
{
    /// <summary><c>stretch_bilinear</c> (the default): the uint8 image straight to Size × Size, float32 bilinear with
    /// half-pixel centres and no antialiasing, then /255 and mean/std (mmdet's <c>Resize(keep_ratio=False)</c> without its
    /// uint8 rounding).</summary>
    StretchBilinear,

    /// <summary><c>clip_processor_stretch</c>, the official demo's path: CLIPImageProcessor's resize (shorter side to Size,
    /// longer <c>int(Size · long / short)</c>, Pillow's antialiased bicubic on the uint8 image, bit for bit), /255 and
    /// mean/std, then a float32 bilinear stretch to Size × Size (half-pixel centres, no antialiasing).</summary>
    ClipProcessorStretch,
}
