"""Writes models/tiny/golden/roi_align_fixture/: a small RoIAlign fixture for the C# port.

Run from models/:  /usr/bin/python3 tools/make_roi_fixture.py

Random channels-last maps for the tiny model's four levels (C = 8 to keep the fixture small), six
normalised boxes (full image, 1-2 pixel box, partly outside, zero-size, two ordinary ones) and
torchvision roi_align(aligned=True) outputs, exactly as gpt4roi_ref.modeling.multi_level_roi_align
computes them (rois = boxes_norm * image_size, spatial_scale = 1 / stride), permuted to
channels-last [N, L, 14, 14, C]. "roi_features" uses sampling_ratio 2 (the manifest's value);
"roi_features_adaptive" uses sampling_ratio 0 (adaptive ceil(roi / 14)).
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch
from torchvision.ops import roi_align

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gpt4roi_ref.tensorio import write_bundle  # noqa: E402

IMAGE_SIZE = 224
SIZES = [128, 64, 32, 16]
STRIDES = [IMAGE_SIZE / s for s in SIZES]  # 1.75, 3.5, 7, 14
CHANNELS = 8
ROI_SIZE = 14
SAMPLING_RATIO = 2
SEED = 20240613


def main() -> None:
    out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "tiny", "golden", "roi_align_fixture", "tensors.json")
    gen = torch.Generator().manual_seed(SEED)
    maps = [torch.randn(1, CHANNELS, s, s, generator=gen, dtype=torch.float32) for s in SIZES]  # NCHW
    boxes = torch.tensor([
        [0.0, 0.0, 1.0, 1.0],                                   # whole image, touches every border
        [0.5, 0.25, 0.5 + 1.5 / IMAGE_SIZE, 0.25 + 1.0 / IMAGE_SIZE],  # 1.5 x 1 pixel box
        [-0.05, 0.1, 0.4, 1.05],                                # partly outside (left, bottom)
        [0.3, 0.6, 0.3, 0.6],                                   # zero-size box
        [0.123, 0.301, 0.771, 0.612],                           # ordinary
        [0.9, 0.85, 1.0, 1.0],                                  # small, bottom-right corner
    ], dtype=torch.float32)
    rois = torch.cat([torch.zeros(len(boxes), 1), boxes * IMAGE_SIZE], dim=1)

    def align(sampling_ratio: int) -> torch.Tensor:
        levels = [roi_align(m, rois, output_size=ROI_SIZE, spatial_scale=1.0 / stride,
                            sampling_ratio=sampling_ratio, aligned=True)
                  for m, stride in zip(maps, STRIDES)]
        return torch.stack(levels, dim=1).permute(0, 1, 3, 4, 2).contiguous()  # [N, L, 14, 14, C]

    tensors = {f"map_{i}": m[0].permute(1, 2, 0).contiguous() for i, m in enumerate(maps)}  # [S, S, C]
    tensors["boxes_norm"] = boxes
    tensors["roi_features"] = align(SAMPLING_RATIO)
    tensors["roi_features_adaptive"] = align(0)
    extra = {"image_size": IMAGE_SIZE, "feature_strides": STRIDES, "roi_size": ROI_SIZE,
             "sampling_ratio": SAMPLING_RATIO, "adaptive_sampling_ratio": 0, "seed": SEED,
             "torch": torch.__version__, "generator": "models/tools/make_roi_fixture.py"}
    write_bundle(out, tensors, extra)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
