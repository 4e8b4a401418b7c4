"""Makes the JPEG decode fixtures in tests/GPT4RoI.Core.Tests/Imaging/TestData.

Each fixture is a small, colourful JPEG written by PIL (libjpeg-turbo) with a chroma subsampling, plus the RGB
that PIL decodes from that same JPEG, stored losslessly as PNG. The C# decoder is checked against the PNG.
Run with the reference environment's python (PIL 9.4): python3 models/tools/make_jpeg_fixtures.py
"""
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parents[2] / "tests" / "GPT4RoI.Core.Tests" / "Imaging" / "TestData"


def source_image(width: int = 75, height: int = 43) -> Image.Image:
    """Gradients, saturated blocks with sharp colour edges, and noise; odd size so edge blocks are partial."""
    rng = np.random.default_rng(20240521)
    y, x = np.mgrid[0:height, 0:width]
    a = np.zeros((height, width, 3), np.float64)
    a[..., 0] = 128 + 120 * np.sin(x / 7.0)
    a[..., 1] = 128 + 120 * np.cos(y / 5.0)
    a[..., 2] = (x * 7 + y * 3) % 256
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (20, 20, 20)]
    for i, c in enumerate(colours):
        x0, y0 = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 8))
        a[y0:y0 + int(rng.integers(5, 17)), x0:x0 + int(rng.integers(5, 17))] = c
    a += rng.normal(0, 4, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    image = source_image()
    # PIL subsampling: 2 = 4:2:0 (h2v2, PIL's default), 1 = 4:2:2 (h2v1).
    # jpeg420_narrow: 4 pixels wide, so 2 chroma samples wide, where libjpeg replicates instead of interpolating.
    narrow = image.crop((20, 3, 24, 16))
    for name, source, subsampling in (("jpeg420", image, 2), ("jpeg422", image, 1), ("jpeg420_narrow", narrow, 2)):
        jpeg = OUT / f"{name}.jpg"
        source.save(jpeg, quality=90, subsampling=subsampling)
        decoded = Image.open(jpeg).convert("RGB")
        decoded.save(OUT / f"{name}.expected.png")
        print(jpeg, jpeg.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
