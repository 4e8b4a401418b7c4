"""Image and box preprocessing, shared by training, evaluation, export and the goldens.

Choice (see gpt4roi-model.md): the *training* pipeline's resize, i.e. mmdet Resize(224, 224,
keep_ratio=False) with bilinear interpolation, done in float32 without the uint8 rounding:
    decode -> apply EXIF orientation -> RGB uint8 -> float32 -> bilinear resize to 224x224
    (half-pixel centres, no antialiasing: torch F.interpolate(align_corners=False))
    -> /255 -> (x - CLIP mean) / CLIP std.
Boxes are pixel xyxy in the oriented image, divided by (w, h, w, h).

Second mode, `clip_processor_stretch` (the official demo, gpt4roi/app.py 123-136, and the LLaVA-150k and
VCR training sets): transformers' CLIPImageProcessor with do_center_crop=False, then a bilinear stretch:
    decode -> EXIF -> RGB uint8 -> resize so the shorter side is 224 and the longer int(224 * long / short)
    (unchanged when the shorter side is already 224) with PIL Image.resize(BICUBIC, reducing_gap=None):
    Pillow's separable convolution, cubic kernel a=-0.5 with support 2 widened by the scale when
    downscaling (antialiased), 22-bit fixed-point coefficients, horizontal pass then vertical pass, each
    rounded and clipped to uint8 -> /255 -> CLIP mean/std -> float32 bilinear to 224x224 (half-pixel,
    no antialias, F.interpolate(align_corners=False)).
"""
from __future__ import annotations

import io
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from .config import CLIP_MEAN, CLIP_STD, PREPROCESS_CLIP, PREPROCESS_STRETCH


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


def clip_processor_size(width: int, height: int, shortest_edge: int = 224) -> Tuple[int, int]:
    """(width, height) after CLIPImageProcessor's resize (transformers get_resize_output_image_size with
    default_to_square=False): the shorter side becomes shortest_edge, the longer int(edge * long / short)."""
    short, long = (width, height) if width <= height else (height, width)
    if short == shortest_edge:
        return width, height
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def clip_processor_resize(img: Image.Image, shortest_edge: int = 224) -> np.ndarray:
    """uint8 HxWx3 after the CLIPImageProcessor resize (PIL bicubic, antialiased, uint8)."""
    img = img.convert("RGB")
    size = clip_processor_size(img.width, img.height, shortest_edge)
    if size != img.size:
        img = img.resize(size, resample=Image.BICUBIC, reducing_gap=None)
    return np.asarray(img, dtype=np.uint8)


def pixels_clip_processor(img: Image.Image, size: int = 224) -> torch.Tensor:
    """The demo's path: CLIPImageProcessor (no crop) then a bilinear stretch to size x size."""
    rgb = clip_processor_resize(img, size)
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).to(torch.float32)
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(3, 1, 1)
    x = (x / 255.0 - mean) / std
    return F.interpolate(x[None], size=(size, size), mode="bilinear", align_corners=False)[0]


def pixels_from_image(img: Image.Image, size: int = 224, mode: str = PREPROCESS_STRETCH) -> torch.Tensor:
    if mode == PREPROCESS_CLIP:
        return pixels_clip_processor(img, size)
    if mode != PREPROCESS_STRETCH:
        raise ValueError(f"unknown preprocess mode {mode!r}")
    return pixels_from_rgb(np.asarray(img.convert("RGB"), dtype=np.uint8), size)


def normalise_boxes(boxes: Sequence[Sequence[float]], width: int, height: int) -> torch.Tensor:
    """Pixel xyxy -> [N,4] float32 in [0,1], computed in float64 as the demo does, then float32."""
    if len(boxes) == 0:
        return torch.zeros((0, 4), dtype=torch.float32)
    b = np.asarray(boxes, dtype=np.float64) / np.array([width, height, width, height], dtype=np.float64)
    return torch.from_numpy(b.astype(np.float32))


def image_size(img: Image.Image) -> Tuple[int, int]:
    return img.size
