"""P2 baseline and inputs: image input (decode + preprocess) of 1, 4 and 12 megapixel JPEG and PNG files.

Writes, under <run>/p2/:
  images/{1mp,4mp,12mp}.{jpg,png}  deterministic natural-ish images (smooth gradients, low-frequency texture,
                                   shapes, mild noise), JPEG at quality 90 (PIL default 4:2:0), PNG at PIL's defaults
  reference_{name}.npy             the reference's normalised pixels, float32 [3, 224, 224]
  images.json                      the list of images (name, format, size, bytes) and the CLIP mean/std
  python.json                      timings of the reference path per image: total, decode only, preprocess only

The reference path is models/gpt4roi_ref/preprocess.py: `decode_image` (PIL open, exif_transpose, convert RGB) then
`pixels_from_image` (uint8 -> float32 tensor, torch bilinear without antialias, /255, CLIP mean/std), at
torch.set_num_threads(T). The C# path it is compared with is single-threaded (ImageSharp decode + ImagePreprocessor).
"""
from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcommon as bc  # noqa: E402

sys.path.insert(0, bc.MODELS)

SIZES = {"1mp": (1152, 864), "4mp": (2304, 1728), "12mp": (4000, 3000)}
QUICK_SIZES = ("1mp",)
JPEG_QUALITY = 90


def make_image(width: int, height: int, seed: int):
    """Smooth colour gradients + low-frequency waves + blurred filled shapes + fine texture + Gaussian noise (sigma 2)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x /= width
    y /= height
    img = np.empty((height, width, 3), dtype=np.float32)
    for c in range(3):
        a, b, f1, f2, p = rng.uniform(0.2, 1.0), rng.uniform(0.2, 1.0), rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, 6.3)
        img[..., c] = 255 * (0.15 + 0.35 * a * x + 0.35 * b * y
                             + 0.15 * np.sin(2 * np.pi * f1 * x + p) * np.cos(2 * np.pi * f2 * y))
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(pil)
    for _ in range(40):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.02, 0.15) * min(width, height)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        elif kind == 1:
            draw.rectangle([cx - r, cy - 0.6 * r, cx + r, cy + 0.6 * r], fill=colour)
        else:
            draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=colour)
    pil = pil.filter(ImageFilter.GaussianBlur(radius=1.5))
    # Fine texture (foliage, fabric): noise at 1/5 of the resolution, upsampled bicubic.
    small = rng.normal(128, 14, (height // 5, width // 5, 3)).clip(0, 255).astype(np.uint8)
    texture = np.asarray(Image.fromarray(small, "RGB").resize((width, height), Image.BICUBIC)).astype(np.float32) - 128
    arr = np.asarray(pil).astype(np.float32) + texture + rng.normal(0, 2.0, (height, width, 3)).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--threads", default="1", help="accepted for a uniform command line; P2 always runs at 1 thread")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=424242)
    args = ap.parse_args()
    load_start = bc.loadavg()

    import torch
    from gpt4roi_ref.config import CLIP_MEAN, CLIP_STD
    from gpt4roi_ref.preprocess import decode_image, pixels_from_image

    # The C# path (ImageSharp decode + ImagePreprocessor) runs on one thread, so the reference does too, whatever --threads says.
    threads = [1]
    if bc.parse_threads(args.threads) != [1]:
        bc.log("P2: the C# image path is single-threaded; the reference is measured at 1 thread only")
    timing = bc.Timing.quick() if args.quick else bc.Timing.full()
    out = bc.bench_dir(args.run, "P2")
    img_dir = os.path.join(out, "images")
    os.makedirs(img_dir, exist_ok=True)

    images = []
    names = QUICK_SIZES if args.quick else tuple(SIZES)
    for i, key in enumerate(names):
        w, h = SIZES[key]
        pil = make_image(w, h, args.seed + i)
        for fmt, ext, kwargs in (("JPEG", "jpg", {"quality": JPEG_QUALITY}), ("PNG", "png", {})):
            buf = io.BytesIO()
            pil.save(buf, format=fmt, **kwargs)
            name = f"{key}.{ext}"
            with open(os.path.join(img_dir, name), "wb") as f:
                f.write(buf.getvalue())
            images.append({"name": name, "format": ext, "width": w, "height": h, "bytes": len(buf.getvalue())})
    bc.log(f"P2: {len(images)} images written to {img_dir}")

    results = []
    with torch.no_grad():
        for im in images:
            with open(os.path.join(img_dir, im["name"]), "rb") as f:
                data = f.read()
            ref = pixels_from_image(decode_image(data)).numpy()
            np.save(os.path.join(out, f"reference_{im['name']}.npy"), ref.astype(np.float32))
            decoded = decode_image(data)
            for t in threads:
                bc.set_threads(t)
                stages = {
                    "total": lambda: pixels_from_image(decode_image(data)),
                    "decode": lambda: decode_image(data),
                    "preprocess": lambda: pixels_from_image(decoded),
                }
                for stage, fn in stages.items():
                    stats = bc.measure(fn, timing)
                    results.append({"image": im["name"], "threads": t, "impl": "reference", "stage": stage, **stats})
                bc.log(f"P2 reference {im['name']} threads={t}: total "
                       f"{results[-3]['median_s'] * 1e3:.1f} ms (decode {results[-2]['median_s'] * 1e3:.1f}, "
                       f"preprocess {results[-1]['median_s'] * 1e3:.1f})")

    manifest = {"images": images, "mean": list(CLIP_MEAN), "std": list(CLIP_STD), "size": 224}
    bc.write_json(os.path.join(out, "images.json"), manifest)
    bc.write_json(bc.result_file(args.run, "P2"), {
        "benchmark": "P2",
        "side": "python",
        "threads": threads,
        "timing": timing.as_json(),
        "settings": {"jpeg_quality": JPEG_QUALITY, "seed": args.seed, **manifest},
        "results": results,
        "loadavg": [load_start, bc.loadavg()],
        "versions": bc.versions(),
    })


if __name__ == "__main__":
    main()
