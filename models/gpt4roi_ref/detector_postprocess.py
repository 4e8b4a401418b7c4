"""Reference decode + class-aware NMS for detector outputs in the YOLOv8/v11 layout, mapped back to the image.

This is the parity target of the C# port (goldens: `models/tiny-detector/golden/`, tolerance 1e-3 px). It is
plain numpy on purpose: every step below is a few lines in any language.

Input: the graph's single output, shape [1, 4 + C, A] (or [4 + C, A]), float32:
    rows 0..3  cx, cy, w, h of anchor a, in pixels of the detector's square input
    rows 4..   per-class scores, already sigmoid-ed
and the letterbox `Geometry` of the image (detector.letterbox_geometry).

Steps (all box arithmetic in float64, scores compared as float32 values widened to float64):
 1. Per anchor a: class c = the first index of the largest score (NaN scores count as -inf, so a NaN never
    wins and never passes), score s = that score.
 2. Candidate iff s > score_threshold (strictly) and cx, cy, w, h are all finite.
 3. Box in input pixels: x1 = cx - w/2, y1 = cy - h/2, x2 = cx + w/2, y2 = cy + h/2.
 4. Order the candidates by score, highest first; equal scores keep ascending anchor index (a stable sort).
 5. Greedy NMS in that order, per class: a candidate is kept unless a kept box of the same class has
    IoU > nms_iou_threshold (strictly) with it. IoU = inter / union with inter = max(0, min(x2) - max(x1)) *
    max(0, min(y2) - max(y1)), area = max(0, x2 - x1) * max(0, y2 - y1), union = area_a + area_b - inter;
    IoU = 0 when union <= 0. Boxes of different classes never suppress each other. Stop once
    max_detections boxes are kept (so the cost is at most max_detections passes over the candidates).
 6. Map each kept box to the original (EXIF-oriented) image: x = (x' - pad_x) * width / new_w,
    y = (y' - pad_y) * height / new_h; clip x to [0, width] and y to [0, height].
 7. Drop boxes left with x2 <= x1 or y2 <= y1 after clipping (entirely in the padding). The result keeps the
    NMS order (score descending), so it may hold fewer than max_detections boxes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from .detector import Geometry


@dataclass
class Candidates:
    anchor: np.ndarray   # [K] int64 anchor index, in NMS order
    cls: np.ndarray      # [K] int64 class id
    score: np.ndarray    # [K] float32
    boxes: np.ndarray    # [K, 4] float64 xyxy, detector-input pixels


def _as_2d(output: np.ndarray) -> np.ndarray:
    out = np.asarray(output)
    if out.ndim == 3:
        if out.shape[0] != 1:
            raise ValueError(f"expected batch 1, got output shape {out.shape}")
        out = out[0]
    if out.ndim != 2 or out.shape[0] < 5:
        raise ValueError(f"expected [1, 4 + C, A], got {np.asarray(output).shape}")
    return out


def candidates(output: np.ndarray, score_threshold: float) -> Candidates:
    """Steps 1-4: best class per anchor, score threshold, finite boxes, score-descending stable order."""
    out = _as_2d(output)
    scores = out[4:].astype(np.float32)
    scores = np.where(np.isnan(scores), np.float32(-np.inf), scores)
    cls = np.argmax(scores, axis=0)                              # first index of the max
    best = scores[cls, np.arange(scores.shape[1])]
    raw = out[:4].astype(np.float64)
    ok = (best.astype(np.float64) > float(score_threshold)) & np.isfinite(raw).all(axis=0)
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(-best[idx], kind="stable")]
    cx, cy, w, h = raw[:, idx]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return Candidates(idx.astype(np.int64), cls[idx].astype(np.int64), best[idx], boxes)


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    iw = np.maximum(0.0, np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
    ih = np.maximum(0.0, np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
    inter = iw * ih
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    areas = np.maximum(0.0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0.0, boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(c: Candidates, iou_threshold: float, max_detections: int) -> np.ndarray:
    """Step 5: greedy class-aware NMS over candidates already in score order; returns kept positions."""
    n = len(c.anchor)
    suppressed = np.zeros(n, dtype=bool)
    keep: List[int] = []
    for i in range(n):
        if len(keep) >= max_detections:
            break
        if suppressed[i]:
            continue
        keep.append(i)
        rest = np.nonzero(~suppressed[i + 1:] & (c.cls[i + 1:] == c.cls[i]))[0] + i + 1
        if len(rest):
            suppressed[rest[iou_one_to_many(c.boxes[i], c.boxes[rest]) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def to_image(boxes: np.ndarray, g: Geometry) -> np.ndarray:
    """Step 6: detector-input pixel xyxy -> original-image pixel xyxy, clipped to the image."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.empty_like(b)
    out[:, 0::2] = (b[:, 0::2] - g.pad_x) * g.width / g.new_w
    out[:, 1::2] = (b[:, 1::2] - g.pad_y) * g.height / g.new_h
    out[:, 0::2] = np.clip(out[:, 0::2], 0.0, float(g.width))
    out[:, 1::2] = np.clip(out[:, 1::2], 0.0, float(g.height))
    return out


def postprocess(output: np.ndarray, g: Geometry, score_threshold: float, iou_threshold: float,
                max_detections: int, class_names: Optional[Sequence[str]] = None) -> List[Dict]:
    """Steps 1-7. Each detection: box (original image xyxy), box_input (detector input xyxy), score, class_id,
    class_name, anchor."""
    c = candidates(output, score_threshold)
    keep = nms(c, iou_threshold, max_detections)
    return detections(c, keep, g, class_names)


def postprocess_decoded(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, g: Geometry,
                        score_threshold: float, max_detections: int, box_format: str = "xyxy",
                        box_units: str = "input_pixels", nms_iou_threshold: Optional[float] = None,
                        class_names: Optional[Sequence[str]] = None) -> List[Dict]:
    """The "decoded" output layout (DETR / RT-DETR style, or a graph with NMS inside): boxes [N, 4] (or
    [1, N, 4]), scores [N] and labels [N] (or with a leading 1), one row per detection.

    Rows whose score is NaN, not > score_threshold, or whose box is not finite are dropped; boxes become xyxy
    input pixels (`box_format` xyxy|cxcywh, `box_units` input_pixels|normalized, normalized meaning divided
    by the input size); the rest follows the yolo layout: score-descending stable order (ties: lower row
    first), class-aware NMS only when `nms_iou_threshold` is given, at most max_detections, mapping back,
    clipping, dropping empty boxes. `anchor` holds the row index."""
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).astype(np.float64)
    s = np.asarray(scores, dtype=np.float32).reshape(-1)
    lab = np.asarray(labels).reshape(-1).astype(np.int64)
    if not (len(b) == len(s) == len(lab)):
        raise ValueError(f"decoded outputs disagree on N: boxes {len(b)}, scores {len(s)}, labels {len(lab)}")
    if box_units == "normalized":
        b = b * g.size
    elif box_units != "input_pixels":
        raise ValueError(f"unknown box_units {box_units!r}")
    if box_format == "cxcywh":
        b = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    elif box_format != "xyxy":
        raise ValueError(f"unknown box_format {box_format!r}")
    ok = ~np.isnan(s) & (s.astype(np.float64) > float(score_threshold)) & np.isfinite(b).all(axis=1)
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(-s[idx], kind="stable")]
    c = Candidates(idx, lab[idx], s[idx], b[idx])
    if nms_iou_threshold is None:
        keep = np.arange(min(len(idx), max_detections))
    else:
        keep = nms(c, nms_iou_threshold, max_detections)
    return detections(c, keep, g, class_names)


def detections(c: "Candidates", keep, g: Geometry, class_names: Optional[Sequence[str]]) -> List[Dict]:
    """The kept candidates mapped back to the image (steps 6-7): boxes clipped, empty ones dropped, a class id
    without a name named by its number."""
    mapped = to_image(c.boxes[keep], g)
    dets = []
    for k, box in zip(keep, mapped):
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        cid = int(c.cls[k])
        name = class_names[cid] if class_names is not None and 0 <= cid < len(class_names) else str(cid)
        dets.append({"box": [float(v) for v in box], "box_input": [float(v) for v in c.boxes[k]],
                     "score": float(c.score[k]), "class_id": cid, "class_name": name, "anchor": int(c.anchor[k])})
    return dets


def postprocess_torchvision(output: np.ndarray, g: Geometry, score_threshold: float, iou_threshold: float,
                            max_detections: int) -> List[Dict]:
    """The same result through torchvision's `batched_nms` (for the benchmark and a cross-check in the tests;
    not the reference: its order among exactly equal scores is unspecified)."""
    import torch
    from torchvision.ops import batched_nms
    c = candidates(output, score_threshold)
    keep = batched_nms(torch.from_numpy(c.boxes), torch.from_numpy(c.score.astype(np.float64)),
                       torch.from_numpy(c.cls), iou_threshold)[:max_detections].numpy()
    mapped = to_image(c.boxes[keep], g)
    return [{"box": [float(v) for v in b], "score": float(c.score[k]), "class_id": int(c.cls[k]),
             "anchor": int(c.anchor[k])}
            for k, b in zip(keep, mapped) if b[2] > b[0] and b[3] > b[1]]


def time_postprocess(outputs: Sequence[np.ndarray], geometries: Sequence[Geometry], score_threshold: float,
                     iou_threshold: float, max_detections: int, repeats: int = 5, fn=postprocess) -> float:
    """Best-of-`repeats` milliseconds per scene of `fn` over all the given outputs."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for out, g in zip(outputs, geometries):
            fn(out, g, score_threshold, iou_threshold, max_detections)
        best = min(best, (time.perf_counter() - t) * 1000 / max(1, len(outputs)))
    return best
