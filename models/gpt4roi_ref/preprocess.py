"""Image and box preprocessing, shared by training, evaluation, export and the goldens.

Choice (see gpt4roi-model.md): the *training* pipeline's resize, i.e. mmdet Resize(224, 224,
keep_ratio=False) with bilinear interpolation, done in float32 without the uint8 rounding:
    decode -> apply EXIF orientation -> RGB uint8 -> float32 -> bilinear resize to 224x224
    (half-pixel centres, no antialiasing: torch F.interpolate(align_corners=False))
    -> /255 -> (x - CLIP mean) / CLIP std.
Boxes are pixel xyxy in the oriented image, divided by (w, h, w, h).
"""
from __future__ import annotations

import io
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from .config import CLIP_MEAN, CLIP_STD


def decode_image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def pixels_from_rgb(rgb: np.ndarray, size: int = 224) -> torch.Tensor:
    """uint8 HxWx3 -> float32 [3,size,size] normalised pixels."""
    x = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).to(torch.float32)[None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)[0]
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(3, 1, 1)
    return (x / 255.0 - mean) / std


def pixels_from_image(img: Image.Image, size: int = 224) -> torch.Tensor:
    return pixels_from_rgb(np.asarray(img.convert("RGB"), dtype=np.uint8), size)


def normalise_boxes(boxes: Sequence[Sequence[float]], width: int, height: int) -> torch.Tensor:
    """Pixel xyxy -> [N,4] float32 in [0,1], computed in float64 as the demo does, then float32."""
    if len(boxes) == 0:
        return torch.zeros((0, 4), dtype=torch.float32)
    b = np.asarray(boxes, dtype=np.float64) / np.array([width, height, width, height], dtype=np.float64)
    return torch.from_numpy(b.astype(np.float32))


def image_size(img: Image.Image) -> Tuple[int, int]:
    return img.size
