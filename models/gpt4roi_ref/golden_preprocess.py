"""Goldens for the demo's preprocessing path (`clip_processor_stretch`), for a port that must match PIL.

    /usr/bin/python3 -m gpt4roi_ref.golden_preprocess --out goldens/clip_preprocess

Each case folder holds the input PNG and a tensor bundle: `resized` (uint8 [H, W, 3], the exact output of
PIL Image.resize(BICUBIC) to the CLIPImageProcessor size; a port must match it bit for bit) and `pixels`
(float32 [3, 224, 224] after /255, CLIP mean/std and the bilinear stretch; stored every `stride`-th
element with the float64 sum of the whole tensor). index.json names the Pillow version that made them.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import PIL
from PIL import Image, ImageDraw

from .config import PREPROCESS_CLIP
from .preprocess import clip_processor_resize, clip_processor_size, pixels_from_image
from .tensorio import write_bundle

STRIDE = 7


def _photo_like(w: int, h: int, seed: int) -> Image.Image:
    """Smooth gradients, hard edges, thin lines and noise: every resampling error shows somewhere."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], axis=-1)
    base += rng.normal(0, 3, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for i in range(12):
        x0, y0 = int(rng.integers(0, w - 10)), int(rng.integers(0, h - 10))
        d.rectangle([x0, y0, x0 + int(rng.integers(5, w // 3)), y0 + int(rng.integers(5, h // 3))],
                    fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        d.line([int(rng.integers(0, w)), 0, int(rng.integers(0, w)), h - 1], fill=(255, 255, 255), width=1)
    return img


CASES = {
    "01_landscape_640x480": lambda: _photo_like(640, 480, 1),     # downscale 640x480 -> 298x224
    "02_portrait_300x900": lambda: _photo_like(300, 900, 2),      # downscale, tall -> 224x672
    "03_small_100x60": lambda: _photo_like(100, 60, 3),           # upscale -> 373x224
    "04_square_224": lambda: _photo_like(224, 224, 4),            # shorter side already 224: no resize
    "05_odd_801x403": lambda: _photo_like(801, 403, 5),           # strong antialiased downscale -> 445x224
}


def write(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    index = {"pillow": PIL.__version__, "mode": PREPROCESS_CLIP, "stride": STRIDE, "cases": []}
    for name, make in CASES.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        img = make()
        img.save(os.path.join(folder, "image.png"))
        img = Image.open(os.path.join(folder, "image.png")).convert("RGB")
        resized = clip_processor_resize(img)
        pixels = pixels_from_image(img, mode=PREPROCESS_CLIP).numpy()
        write_bundle(os.path.join(folder, "tensors.json"),
                     {"resized": resized, "pixels": pixels.reshape(-1)[::STRIDE].copy()})
        with open(os.path.join(folder, "case.json"), "w", encoding="utf-8") as f:
            json.dump({"width": img.width, "height": img.height,
                       "resized_size": list(clip_processor_size(img.width, img.height)),
                       "pixels": {"shape": list(pixels.shape), "stride": STRIDE,
                                  "sum": float(pixels.astype(np.float64).sum()),
                                  "abs_sum": float(np.abs(pixels.astype(np.float64)).sum())}}, f, indent=1)
        index["cases"].append(name)
    with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                 "goldens", "clip_preprocess"))
    a = p.parse_args()
    write(a.out)
    write_tokenizer_special_cases(os.path.join(os.path.dirname(a.out), "tokenizer_special_cases.json"))



def write_tokenizer_special_cases(path: str) -> None:
    """Token ids for typed special tokens and checkpoint-ordered added tokens (the tiny tokenizer),
    for the C# tokenizer port of the no-split rule."""
    from .prompt import Tokenizer
    tiny = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tiny", "tokenizer.model")
    texts = ["a </s> b<unk>c <s>", "What is region1 <bbox> [PAD]?", "  </s>  ", "x<s><s>y", "<s >", "</s>\n### "]
    configs = {
        "tiny_default": (None, None),
        "training_order_fastchat_bos": (
            {"[PAD]": 512, "<im_patch>": 513, "<bbox>": 514, "<point>": 515, "<im_start>": 516, "<im_end>": 517},
            {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "[PAD]"}),
    }
    out = {"tokenizer": "tiny/tokenizer.model", "configs": {}}
    for name, (added, special) in configs.items():
        tok = Tokenizer(tiny, 512, added, special)
        out["configs"][name] = {"added_tokens": tok.added, "special_tokens": tok.special_strings,
                                "bos_id": tok.bos_id,
                                "cases": [{"text": t, "ids": tok.encode(t)} for t in texts]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
