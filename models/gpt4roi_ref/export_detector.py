"""Export the trained detector to a detector folder (format `gpt4roi-detector`, docs/model-format.md).

    /usr/bin/python3 -m gpt4roi_ref.export_detector --run ../runs/detector --out tiny-detector

Writes, in --out:
  detector.onnx      images [1, 3, S, S] float32 -> output0 [1, 4 + C, A] float32 (yolo layout, no NMS), opset 17
  manifest.json      preprocessing, output layout, classes, post-processing settings, files with SHA-256
  reference/         config.json + detector.safetensors (float32): the PyTorch weights the graph was made from
  golden/            scenes with the graph's input (sampled) and raw output, and the reference detections
  test/              a graph and manifest in the "decoded" layout (fixed boxes), for the C# tests
Every graph goes through onnx.checker. There is no Python ONNX Runtime here: the C# side runs the graphs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from typing import Dict, List

import onnx
import torch

from .detector import (MAX_DETECTIONS, NMS_IOU_THRESHOLD, SCORE_THRESHOLD, DetectorConfig, DetectorExport,
                       TinyDetector)
from .tensorio import sha256_file
from .train_detector import load_reference, save_reference

OPSET = 17
FORMAT = "gpt4roi-detector"
FORMAT_VERSION = 1
INPUT_NAME = "images"
OUTPUT_NAME = "output0"
GRAPH_FILE = "detector.onnx"


def export_onnx(model: TinyDetector, path: str) -> None:
    cfg = model.cfg
    graph = DetectorExport(model.eval()).eval()
    x = torch.zeros(1, 3, cfg.input_size, cfg.input_size)
    tmp = tempfile.mkdtemp()
    try:
        p = os.path.join(tmp, "detector.onnx")
        with torch.no_grad():
            torch.onnx.export(graph, (x,), p, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              opset_version=OPSET, do_constant_folding=True)
        m = onnx.load(p)
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def preprocess_spec(cfg: DetectorConfig) -> Dict:
    return {
        "color": "RGB",
        "apply_exif_orientation": True,
        "size": [cfg.input_size, cfg.input_size],
        "resize_mode": cfg.resize_mode,
        "interpolation": "bilinear, half-pixel centres, no antialias, float32, no rounding",
        "letterbox_rule": "long side = size; short side = floor((2*short*size + long) / (2*long)), at least 1; "
                          "pad_x = floor((size - new_w) / 2), pad_y = floor((size - new_h) / 2); "
                          "the rest of the canvas is pad_value",
        "pad_value": cfg.pad_value,
        "scale": 1.0 / 255.0,
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "layout": "NCHW",
        "box_mapping": "x = (x' - pad_x) * width / new_w, y = (y' - pad_y) * height / new_h, then clip to the "
                       "oriented image",
    }


def yolo_output_spec(cfg: DetectorConfig) -> Dict:
    return {
        "layout": "yolo",
        "name": OUTPUT_NAME,
        "shape": [1, 4 + cfg.num_classes, cfg.num_anchors],
        "dtype": "float32",
        "boxes": "rows 0..3: cx, cy, w, h in input pixels",
        "scores": "rows 4..: per-class scores, sigmoid applied",
        "nms_in_graph": False,
        "anchor_order": f"strides {list(cfg.strides)} in order, each row-major; point of cell (x, y) at stride s "
                        f"= ((x + 0.5) s, (y + 0.5) s)",
    }


def postprocess_spec(score: float, iou: float, max_det: int) -> Dict:
    return {
        "score_threshold": score,
        "score_rule": "score > score_threshold (strict); the score of an anchor is its best class's score "
                      "(first index on ties, NaN never wins)",
        "nms": "class_aware",
        "nms_iou_threshold": iou,
        "nms_rule": "greedy in score-descending order, ties by lower anchor index; suppress a same-class box "
                    "whose IoU with a kept box is > nms_iou_threshold (strict); stop at max_detections",
        "max_detections": max_det,
        "drop_empty_after_clip": True,
    }


def file_entries(out: str, names: List[str]) -> Dict:
    return {n: {"bytes": os.path.getsize(os.path.join(out, n)), "sha256": sha256_file(os.path.join(out, n))}
            for n in sorted(names)}


def write_manifest(model: TinyDetector, out: str, post: Dict) -> Dict:
    cfg = model.cfg
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_id": cfg.name,
        "description": "tiny YOLOv8-style anchor-free detector for the shapes task (classes = shape kinds)",
        "graph": {"file": GRAPH_FILE, "opset": OPSET, "dtype": "float32"},
        "input": {"name": INPUT_NAME, "shape": [1, 3, cfg.input_size, cfg.input_size], "dtype": "float32",
                  "layout": "NCHW"},
        "preprocess": preprocess_spec(cfg),
        "output": yolo_output_spec(cfg),
        "class_names": list(cfg.class_names),
        "postprocess": postprocess_spec(post["score_threshold"], post["nms_iou_threshold"],
                                        post["max_detections"]),
        "reference": {"config": "reference/config.json", "weights": "reference/detector.safetensors"},
        "files": file_entries(out, [GRAPH_FILE]),
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="training output folder (its reference/ holds the EMA weights)")
    p.add_argument("--reference", help="or a reference/ folder directly")
    p.add_argument("--out", required=True)
    p.add_argument("--score-threshold", type=float, default=SCORE_THRESHOLD)
    p.add_argument("--nms-iou-threshold", type=float, default=NMS_IOU_THRESHOLD)
    p.add_argument("--max-detections", type=int, default=MAX_DETECTIONS)
    p.add_argument("--no-goldens", action="store_true")
    a = p.parse_args()
    if not (a.run or a.reference):
        p.error("give --run DIR or --reference DIR")
    torch.set_num_threads(2)
    ref = a.reference or os.path.join(a.run, "reference")
    model = load_reference(ref)
    os.makedirs(a.out, exist_ok=True)
    if os.path.abspath(ref) != os.path.abspath(os.path.join(a.out, "reference")):
        save_reference(model, os.path.join(a.out, "reference"))
    export_onnx(model, os.path.join(a.out, GRAPH_FILE))
    post = {"score_threshold": a.score_threshold, "nms_iou_threshold": a.nms_iou_threshold,
            "max_detections": a.max_detections}
    m = write_manifest(model, a.out, post)
    print(f"{GRAPH_FILE}: {m['files'][GRAPH_FILE]['bytes']} bytes, opset {OPSET}, output {m['output']['shape']}")
    from .detector_goldens import write_decoded_test, write_goldens
    write_decoded_test(os.path.join(a.out, "test"), model.cfg)
    if not a.no_goldens:
        write_goldens(model, m, os.path.join(a.out, "golden"))


if __name__ == "__main__":
    main()
