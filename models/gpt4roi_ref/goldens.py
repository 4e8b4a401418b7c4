"""Golden cases for the C# parity tests, produced by the PyTorch reference (fp32).

    /usr/bin/python3 -m gpt4roi_ref.goldens [--model tiny] [--out tiny/golden]

Format (documented in models/README.md): golden/index.json lists the cases; each case folder holds the
input image, case.json (request, prompt ids, greedy ids, answers, sampling of large tensors) and a
tensor bundle tensors.json (+ .bin files, raw little-endian float32/int64).
Large tensors are stored sampled: every `stride`-th element of the flattened tensor (C order), plus
float64 sum and sum of absolute values of the whole tensor, so the folder stays small.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
from typing import Dict, List

import torch
from PIL import Image

from .evaluate import DEFAULT_MODEL, load_model
from .inference import Pipeline
from .preprocess import decode_image, normalise_boxes, pixels_from_image
from .prompt import Conversation
from .shapes import Case, Turn, make_case, QUESTIONS
from .tensorio import write_bundle

MAX_FULL = 8192       # tensors up to this many elements are stored whole
SAMPLES = 4096        # larger ones keep about this many elements
TOLERANCES = {
    "pixels": 1e-4, "pixels_jpeg": 2e-2, "image_tokens": 1e-3, "fused_maps": 1e-3,
    "roi_features_relative": 1e-5, "region_embeddings": 1e-3, "first_logits": 1e-3,
}


def sampled(name: str, t: torch.Tensor, tensors: Dict, meta: Dict) -> None:
    t = t.detach().to(torch.float32).contiguous()
    flat = t.flatten()
    n = flat.numel()
    stride = 1 if n <= MAX_FULL else math.ceil(n / SAMPLES)
    tensors[name] = flat[::stride] if stride > 1 else t
    meta[name] = {"shape": list(t.shape), "stride": stride,
                  "sum": float(flat.double().sum()), "abs_sum": float(flat.double().abs().sum())}


def golden_cases() -> List[tuple]:
    """(name, description, Case, encoded image bytes)."""
    out = []

    def pick(pred, start, turns=None, kinds=None, max_png=80_000):
        for seed in range(start, start + 5000):
            try:
                c = make_case(seed, turns=turns, kinds=kinds)
            except ValueError:
                continue
            data = c.encode()
            if len(data) <= max_png and pred(c):
                return c, data
        raise RuntimeError("no seed matched")

    c, d = pick(lambda c: c.fmt == "png", 100, 1, ("what",))
    out.append(("01_one_region_png", "one region, PNG", c, d))
    c, d = pick(lambda c: c.fmt == "png", 200, 1, ("relation",))
    out.append(("02_two_regions", "two regions (relation)", c, d))
    c, d = pick(lambda c: True, 300, 3, ("what", "relation", "shape"))
    out.append(("03_three_turns", "3-turn conversation; regions numbered on across turns", c, d))
    c, d = pick(lambda c: c.fmt == "jpeg" and abs(c.width - c.height) > 150, 400, 1, ("colour",))
    out.append(("04_nonsquare_jpeg", "non-square JPEG", c, d))
    c, d = pick(lambda c: c.fmt == "png" and c.width != c.height, 500, 1, ("shape",))
    out.append(("05_png_shape", "non-square PNG, shape question", c, d))
    c, d = pick(lambda c: any(b[0] == 0.0 or b[1] == 0.0 or b[2] == c.width or b[3] == c.height
                              for t in c.turns for b in t.boxes), 600, 1, ("what",))
    out.append(("06_box_on_border", "a box clipped to the image border", c, d))
    c, d = pick(lambda c: c.fmt == "png", 700, 1, ("colour",))
    s = c.shapes[c.turns[0].shapes[0]].box
    cx, cy = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    c.turns[0] = Turn("colour", QUESTIONS["colour"].format(a=1), [(cx - 2.0, cy - 2.0, cx + 2.0, cy + 2.0)],
                      c.turns[0].shapes, c.turns[0].answer)
    out.append(("07_tiny_box", "a 4x4 pixel box", c, d))
    # EXIF orientation 6: the file stores the picture rotated; boxes refer to the displayed picture.
    c, _ = pick(lambda c: c.fmt == "jpeg", 800, 2, ("what", "colour"))
    stored = c.image.transpose(Image.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=c.quality, exif=exif.tobytes())
    out.append(("08_exif_rotated_jpeg", "JPEG with EXIF orientation 6, 2 turns", c, buf.getvalue()))
    c, d = pick(lambda c: c.fmt == "png" and len(c.shapes) >= 3, 900, 2, ("relation", "relation"))
    out.append(("09_four_regions", "two relation turns: four regions", c, d))
    return out


def write_case(pipe: Pipeline, folder: str, name: str, desc: str, case: Case, data: bytes) -> Dict:
    os.makedirs(folder, exist_ok=True)
    ext = "png" if data[:4] == b"\x89PNG" else "jpg"
    with open(os.path.join(folder, f"image.{ext}"), "wb") as f:
        f.write(data)
    img = decode_image(data)
    assert img.size == (case.width, case.height), (name, img.size)
    pixels = pixels_from_image(img, mode=pipe.model.cfg.preprocess)
    tokens, maps = pipe.encode_image(pixels)
    tensors: Dict = {}
    meta: Dict = {}
    sampled("pixels", pixels, tensors, meta)
    sampled("image_tokens", tokens[0], tensors, meta)
    for i, m in enumerate(maps):
        sampled(f"fused_map_{i}", m[0].permute(1, 2, 0), tensors, meta)  # [S,S,C] channels-last
    conv = Conversation()
    turns = []
    for k, turn in enumerate(case.turns):
        conv.add_turn(turn.question, turn.boxes)
        rois, regions = pipe.region_embeddings(maps, conv.boxes, case.width, case.height)
        gen = pipe.generate(tokens, regions, conv)
        conv.set_answer(gen.answer)
        tensors[f"first_logits_turn{k}"] = gen.first_logits
        turns.append({"question": turn.question, "new_boxes": [list(b) for b in turn.boxes],
                      "expanded": conv.turns[-1][0], "bbox_regions": list(conv.bbox_regions),
                      "prompt_ids": gen.prompt_ids, "greedy_ids": gen.token_ids, "text": gen.text,
                      "answer": gen.answer, "expected_answer": turn.answer})
    boxes_norm = normalise_boxes(conv.boxes, case.width, case.height)
    tensors["boxes_norm"] = boxes_norm
    sampled("roi_features", rois.permute(0, 1, 3, 4, 2), tensors, meta)  # [N,L,14,14,C]
    tensors["region_embeddings"] = regions
    write_bundle(os.path.join(folder, "tensors.json"), tensors)
    doc = {"name": name, "description": desc, "image": f"image.{ext}", "width": case.width,
           "height": case.height, "format": "png" if ext == "png" else "jpeg", "seed": case.seed,
           "boxes": [list(b) for b in conv.boxes], "turns": turns, "sampled": meta,
           "decoding": {"strategy": "greedy", "max_new_tokens": 32}}
    with open(os.path.join(folder, "case.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    return doc


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--out", default=os.path.join(DEFAULT_MODEL, "golden"))
    a = p.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model, tok = load_model(a.model)
    pipe = Pipeline(model, tok)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    names = []
    for name, desc, case, data in golden_cases():
        doc = write_case(pipe, os.path.join(a.out, name), name, desc, case, data)
        names.append(name)
        print(f"{name}: {[t['answer'] for t in doc['turns']]} (expected {[t['expected_answer'] for t in doc['turns']]})")
    with open(os.path.join(a.out, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"format_version": 1, "model_id": model.cfg.name, "cases": names, "tolerances": TOLERANCES}, f, indent=1)


if __name__ == "__main__":
    main()
