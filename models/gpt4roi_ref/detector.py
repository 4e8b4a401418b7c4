"""A tiny single-stage, anchor-free detector (YOLOv8-style) for the shapes task: the shipped region provider.

GPT4RoI's composition promise is that an off-the-shelf detector supplies the boxes and the model describes
each detected object. This module is the detector the project ships for the shapes scenes
(`shapes.make_case`): boxes are the tight shape boxes, classes the shape kinds (`circle`, `square`,
`triangle`; colour is for GPT4RoI to say).

Input: the image, EXIF-oriented, RGB, letterboxed (or stretched) to a fixed square (see `letterbox_geometry`,
`preprocess_image`). Output of the exported graph (`DetectorExport`): one tensor `[1, 4 + num_classes, A]`,
the YOLOv8/v11 layout: rows 0..3 are cx, cy, w, h in pixels of the detector's square input, rows 4.. the
per-class scores after the sigmoid. No NMS in the graph: `detector_postprocess.py` is the reference for that.

Anchors (points): levels in stride order (8, 16, 32), each row-major (y outer, x inner); the point of cell
(x, y) at stride s is ((x + 0.5) s, (y + 0.5) s). A box is predicted as distances (l, t, r, b) from the point,
each `softplus(raw) * s`, so x1 = px - l, x2 = px + r, and so on.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from .shapes import SHAPES

CLASS_NAMES = tuple(SHAPES)  # ("circle", "square", "triangle")
PAD_VALUE = 114              # YOLO's letterbox grey, in 0..255 pixel units (before scaling)
# Post-processing defaults written into the manifest. The official GPT4RoI demo asked its detector for score > 0.3
# and at most 100 boxes; for the shipped detector 0.5 was chosen on validation scenes (`evaluate_detector --seed 5`:
# precision 96.69% at 0.3, 98.41% at 0.5, recall 100% at both), which are not the scenes the docs report.
SCORE_THRESHOLD = 0.5
NMS_IOU_THRESHOLD = 0.5
MAX_DETECTIONS = 100


@dataclass
class DetectorConfig:
    name: str = "tiny-detector-shapes"
    input_size: int = 256
    resize_mode: str = "letterbox"          # "letterbox" or "stretch"
    pad_value: int = PAD_VALUE
    class_names: Tuple[str, ...] = CLASS_NAMES
    strides: Tuple[int, ...] = (8, 16, 32)
    widths: Tuple[int, ...] = (16, 24, 32, 48, 64)   # stem, stride 4, 8, 16, 32
    neck: int = 32                                   # channels of every pyramid level after the neck
    # Object size bands per level (max side of the box in input pixels, lower inclusive, upper exclusive);
    # the bands overlap, so an object near a border trains on two levels.
    level_bands: Tuple[Tuple[float, float], ...] = ((0.0, 48.0), (40.0, 112.0), (96.0, 1e9))
    center_radius: float = 2.5               # positives lie within this many strides of the box centre

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_anchors(self) -> int:
        return sum((self.input_size // s) ** 2 for s in self.strides)

    def to_dict(self) -> Dict:
        d = asdict(self)
        d["class_names"] = list(self.class_names)
        return d

    @staticmethod
    def from_dict(d: Dict) -> "DetectorConfig":
        d = dict(d)
        d["class_names"] = tuple(d["class_names"])
        d["strides"] = tuple(d["strides"])
        d["widths"] = tuple(d["widths"])
        d["level_bands"] = tuple(tuple(b) for b in d["level_bands"])
        return DetectorConfig(**d)


# ---------------------------------------------------------------------------------------------------------
# Preprocessing (the C# side reproduces this exactly; the manifest names every constant)
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    """How an image of `width` x `height` sits in the detector's `size` x `size` input.

    The resized picture is `new_w` x `new_h` pixels with its top-left corner at (`pad_x`, `pad_y`); the rest
    of the canvas is `pad_value`. A point maps back as x = (x' - pad_x) * width / new_w (same for y).
    """
    width: int
    height: int
    size: int
    new_w: int
    new_h: int
    pad_x: int
    pad_y: int

    def to_dict(self) -> Dict:
        return asdict(self)


def letterbox_geometry(width: int, height: int, size: int, mode: str = "letterbox") -> Geometry:
    """Integer-exact letterbox: the longer side becomes `size`, the shorter side is rounded half up,
    `new = floor((2 * short * size + long) / (2 * long))` (at least 1), the picture is centred with
    `pad = floor((size - new) / 2)` on the left/top and the remainder on the right/bottom.
    `stretch`: new_w = new_h = size, no padding."""
    if width <= 0 or height <= 0:
        raise ValueError(f"bad image size {width}x{height}")
    if mode == "stretch":
        return Geometry(width, height, size, size, size, 0, 0)
    if mode != "letterbox":
        raise ValueError(f"unknown resize mode {mode!r}")
    if width >= height:
        new_w, new_h = size, max(1, (2 * height * size + width) // (2 * width))
    else:
        new_w, new_h = max(1, (2 * width * size + height) // (2 * height)), size
    return Geometry(width, height, size, new_w, new_h, (size - new_w) // 2, (size - new_h) // 2)


def preprocess_rgb(rgb: np.ndarray, cfg: DetectorConfig) -> Tuple[torch.Tensor, Geometry]:
    """uint8 HxWx3 RGB (already EXIF-oriented) -> float32 [3, S, S] in [0, 1], and the geometry.

    float32 throughout, no uint8 rounding: bilinear resize of the whole picture to (new_h, new_w) with
    half-pixel centres and no antialiasing (torch `F.interpolate(mode="bilinear", align_corners=False)`,
    the same resize the GPT4RoI preprocessing uses), pasted at (pad_x, pad_y) on a canvas of `pad_value`,
    then divided by 255 in float32 (scale 1/255, mean 0, std 1)."""
    h, w = rgb.shape[:2]
    g = letterbox_geometry(w, h, cfg.input_size, cfg.resize_mode)
    x = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).to(torch.float32)[None]
    x = F.interpolate(x, size=(g.new_h, g.new_w), mode="bilinear", align_corners=False)[0]
    canvas = torch.full((3, g.size, g.size), float(cfg.pad_value), dtype=torch.float32)
    canvas[:, g.pad_y:g.pad_y + g.new_h, g.pad_x:g.pad_x + g.new_w] = x
    return canvas / 255.0, g


def preprocess_image(img: Image.Image, cfg: DetectorConfig) -> Tuple[torch.Tensor, Geometry]:
    return preprocess_rgb(np.asarray(img.convert("RGB"), dtype=np.uint8), cfg)


def boxes_to_input(boxes: np.ndarray, g: Geometry) -> np.ndarray:
    """Original-image pixel xyxy -> detector-input pixel xyxy (the inverse of the golden mapping)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
    b[:, 0::2] = b[:, 0::2] * (g.new_w / g.width) + g.pad_x
    b[:, 1::2] = b[:, 1::2] * (g.new_h / g.height) + g.pad_y
    return b


# ---------------------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------------------

class ConvBNAct(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int = 3, s: int = 1):
        super().__init__(nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False), nn.BatchNorm2d(c_out), nn.SiLU())


class Residual(nn.Module):
    """Two 3x3 convs with a skip (the bottleneck of YOLOv8's C2f, without the split)."""

    def __init__(self, c: int):
        super().__init__()
        self.a, self.b = ConvBNAct(c, c), ConvBNAct(c, c)

    def forward(self, x):
        return x + self.b(self.a(x))


class Head(nn.Module):
    """Decoupled head of one level: a box branch (4 distances) and a class branch (logits)."""

    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.box = nn.Sequential(ConvBNAct(c, c), nn.Conv2d(c, 4, 1))
        self.cls = nn.Sequential(ConvBNAct(c, c), nn.Conv2d(c, num_classes, 1))

    def forward(self, x):
        return self.box(x), self.cls(x)


class TinyDetector(nn.Module):
    """Backbone (strides 2..32) -> top-down + bottom-up neck (PAN) -> one decoupled head per stride 8/16/32.

    `forward(images)` returns (boxes [B, A, 4] xyxy input pixels, class logits [B, A, num_classes])."""

    def __init__(self, cfg: DetectorConfig):
        super().__init__()
        self.cfg = cfg
        c0, c1, c2, c3, c4 = cfg.widths
        n = cfg.neck
        self.stem = ConvBNAct(3, c0, 3, 2)
        self.s4 = ConvBNAct(c0, c1, 3, 2)
        self.s8 = nn.Sequential(ConvBNAct(c1, c2, 3, 2), Residual(c2))
        self.s16 = nn.Sequential(ConvBNAct(c2, c3, 3, 2), Residual(c3))
        self.s32 = nn.Sequential(ConvBNAct(c3, c4, 3, 2), Residual(c4))
        self.lat32 = ConvBNAct(c4, n, 1)
        self.td16 = ConvBNAct(n + c3, n)
        self.td8 = ConvBNAct(n + c2, n)
        self.down8 = ConvBNAct(n, n, 3, 2)
        self.bu16 = ConvBNAct(2 * n, n)
        self.down16 = ConvBNAct(n, n, 3, 2)
        self.bu32 = ConvBNAct(2 * n, n)
        self.heads = nn.ModuleList(Head(n, cfg.num_classes) for _ in cfg.strides)
        points, strides = make_anchors(cfg.input_size, cfg.strides)
        self.register_buffer("points", points, persistent=False)    # [A, 2]
        self.register_buffer("strides", strides, persistent=False)  # [A]
        self.reset_head_bias()

    def reset_head_bias(self) -> None:
        for h in self.heads:
            nn.init.constant_(h.cls[-1].bias, -math.log((1 - 0.01) / 0.01))  # prior 0.01
            nn.init.constant_(h.box[-1].bias, 1.85)                           # softplus(1.85) ~ 2 strides

    def features(self, x):
        f8 = self.s8(self.s4(self.stem(x)))
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        p32 = self.lat32(f32)
        p16 = self.td16(torch.cat([F.interpolate(p32, scale_factor=2.0, mode="nearest"), f16], 1))
        p8 = self.td8(torch.cat([F.interpolate(p16, scale_factor=2.0, mode="nearest"), f8], 1))
        n16 = self.bu16(torch.cat([self.down8(p8), p16], 1))
        n32 = self.bu32(torch.cat([self.down16(n16), p32], 1))
        return [p8, n16, n32]

    def forward(self, images: torch.Tensor):
        raw_box, logits = [], []
        for f, head in zip(self.features(images), self.heads):
            b, c = head(f)
            raw_box.append(b.flatten(2))
            logits.append(c.flatten(2))
        raw = torch.cat(raw_box, 2).transpose(1, 2)          # [B, A, 4] (l, t, r, b) raw
        cls = torch.cat(logits, 2).transpose(1, 2)            # [B, A, C]
        dist = F.softplus(raw) * self.strides[None, :, None]
        p = self.points[None]
        boxes = torch.cat([p - dist[..., :2], p + dist[..., 2:]], -1)   # xyxy input pixels
        return boxes, cls


def make_anchors(size: int, strides: Sequence[int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Anchor points [A, 2] (x, y) in input pixels and their strides [A], levels in order, row-major."""
    pts, st = [], []
    for s in strides:
        n = size // s
        ys, xs = torch.meshgrid(torch.arange(n, dtype=torch.float32), torch.arange(n, dtype=torch.float32),
                                indexing="ij")
        pts.append(torch.stack([(xs.flatten() + 0.5) * s, (ys.flatten() + 0.5) * s], 1))
        st.append(torch.full((n * n,), float(s)))
    return torch.cat(pts), torch.cat(st)


class DetectorExport(nn.Module):
    """The exported graph: images [1, 3, S, S] -> output0 [1, 4 + C, A] (cx, cy, w, h input px; sigmoid scores)."""

    def __init__(self, model: TinyDetector):
        super().__init__()
        self.model = model

    def forward(self, images):
        boxes, logits = self.model(images)
        xy = (boxes[..., :2] + boxes[..., 2:]) * 0.5
        wh = boxes[..., 2:] - boxes[..., :2]
        return torch.cat([xy, wh, torch.sigmoid(logits)], -1).transpose(1, 2)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------------------
# Training targets and loss
# ---------------------------------------------------------------------------------------------------------

def assign(cfg: DetectorConfig, points: torch.Tensor, strides: torch.Tensor, gt_boxes: torch.Tensor):
    """Static centre-sampling assignment for one image.

    An anchor point is positive for a ground-truth box when it lies strictly inside the box, within
    `center_radius` strides of the box centre (both axes), and on a level whose size band holds the box's
    longer side. An anchor claimed by several boxes takes the smallest. A box left without any anchor gets
    the nearest point of its finest allowed level. Returns the matched box index per anchor (-1 = negative).
    """
    a = points.shape[0]
    m = gt_boxes.shape[0]
    matched = torch.full((a,), -1, dtype=torch.long)
    if m == 0:
        return matched
    px, py = points[:, 0:1], points[:, 1:2]                       # [A, 1]
    x1, y1, x2, y2 = (gt_boxes[:, i][None] for i in range(4))      # [1, M]
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = torch.maximum(x2 - x1, y2 - y1)
    inside = (px > x1) & (px < x2) & (py > y1) & (py < y2)
    r = cfg.center_radius * strides[:, None]
    near = ((px - cx).abs() < r) & ((py - cy).abs() < r)
    level_ok = torch.zeros(a, m, dtype=torch.bool)
    for s, (lo, hi) in zip(cfg.strides, cfg.level_bands):
        level_ok |= (strides[:, None] == s) & (side >= lo) & (side < hi)
    pos = inside & near & level_ok
    area = ((x2 - x1) * (y2 - y1)).expand(a, m)
    area = torch.where(pos, area, torch.full_like(area, float("inf")))
    best_area, best = area.min(1)
    matched = torch.where(torch.isfinite(best_area), best, matched)
    for j in range(m):
        if not pos[:, j].any():
            allowed = level_ok[:, j]
            if not allowed.any():
                allowed = strides == cfg.strides[0]
            d = (px[:, 0] - cx[0, j]) ** 2 + (py[:, 0] - cy[0, j]) ** 2
            d = torch.where(allowed, d, torch.full_like(d, float("inf")))
            matched[int(d.argmin())] = j
    return matched


def giou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Generalised IoU of paired xyxy boxes [N, 4]."""
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    union = area_a + area_b - inter + eps
    iou = inter / union
    cw = torch.maximum(a[:, 2], b[:, 2]) - torch.minimum(a[:, 0], b[:, 0])
    ch = torch.maximum(a[:, 3], b[:, 3]) - torch.minimum(a[:, 1], b[:, 1])
    hull = cw * ch + eps
    return iou - (hull - union) / hull


def detection_loss(model: TinyDetector, images: torch.Tensor, targets: List[Dict[str, torch.Tensor]],
                   box_weight: float = 2.5) -> Tuple[torch.Tensor, Dict[str, float]]:
    """BCE on every anchor's class logits (positives: target 1 on their class) normalised by the number of
    positives, plus GIoU loss on the positives' boxes."""
    cfg = model.cfg
    boxes, logits = model(images)
    cls_target = torch.zeros_like(logits)
    pred_pos, gt_pos = [], []
    for i, t in enumerate(targets):
        matched = assign(cfg, model.points.cpu(), model.strides.cpu(), t["boxes"]).to(images.device)
        pos = matched >= 0
        if pos.any():
            idx = matched[pos]
            cls_target[i, pos, t["labels"].to(images.device)[idx]] = 1.0
            pred_pos.append(boxes[i, pos])
            gt_pos.append(t["boxes"].to(images.device)[idx])
    num_pos = max(1, sum(len(p) for p in pred_pos))
    cls_loss = F.binary_cross_entropy_with_logits(logits, cls_target, reduction="sum") / num_pos
    if pred_pos:
        box_loss = (1.0 - giou(torch.cat(pred_pos), torch.cat(gt_pos))).mean()
    else:
        box_loss = boxes.sum() * 0.0
    loss = cls_loss + box_weight * box_loss
    return loss, {"cls": float(cls_loss.detach()), "box": float(box_loss.detach()), "num_pos": num_pos}
