"""Goldens of the detector folder, for the C# port (no Python needed to read them).

    (written by `python3 -m gpt4roi_ref.export_detector`; alone: python3 -m gpt4roi_ref.detector_goldens --out DIR)

golden/
  index.json                  the cases and tolerances
  NN_name/image.{png,jpg}     the input file (one JPEG carries EXIF orientation 6)
  NN_name/case.json           size, format, geometry (letterbox), ground-truth objects, the reference detections
                              (original-image xyxy + input xyxy, score, class, anchor) and the settings used
  NN_name/tensors.json + .bin tensor bundle (tensorio): `images` (the graph input, sampled as in models/tiny
                              goldens: case.json `sampled`) and `output0` (the raw graph output, whole)
  postprocess/cases.json      hand-made raw outputs (ties, NaN, classes, thresholds, padding, max_detections,
  postprocess/tensors.json    stretch) with the reference result: decode + NMS tests without running a graph
test/
  decoded_xyxy/, decoded_detr/  graphs in the "decoded" layout that emit fixed rows, their manifest.json, and
                              expected.json (the reference result for a 640x480 image)
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
from typing import Dict, List, Tuple

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from .detector import DetectorConfig, DetectorExport, Geometry, TinyDetector, letterbox_geometry, preprocess_image
from .detector_postprocess import postprocess, postprocess_decoded
from .goldens import sampled
from .preprocess import decode_image
from .shapes import make_case
from .tensorio import sha256_file, write_bundle

TOLERANCES = {
    "images": 1e-4,                    # graph input from a PNG
    "images_jpeg": 2e-2,               # JPEG decoders may differ by a level or two
    "output0_boxes_px": 1e-2,          # ONNX Runtime vs torch, rows 0..3
    "output0_scores": 1e-4,            # rows 4..
    "detections_from_output0_px": 1e-3,  # the C# decode + NMS applied to the golden output0
}


def golden_scenes() -> List[Tuple[str, str, bytes, Dict]]:
    """(name, description, encoded image, ground truth) for each case."""
    out = []

    def pick(pred, start):
        for seed in range(start, start + 5000):
            c = make_case(seed, turns=1)
            data = c.encode()
            if len(data) <= 60_000 and pred(c):
                return c, data
        raise RuntimeError("no seed matched")

    def truth(c):
        return [{"box": [float(v) for v in s.box], "kind": s.kind, "colour": s.colour} for s in c.shapes]

    c, d = pick(lambda c: c.fmt == "png" and abs(c.width - c.height) < 60 and len(c.shapes) >= 2, 1000)
    out.append(("01_png", "PNG, nearly square, several shapes", d, {"objects": truth(c)}))
    c, d = pick(lambda c: c.fmt == "jpeg" and c.width - c.height > 200, 1100)
    out.append(("02_wide_jpeg", "wide JPEG: padding above and below", d, {"objects": truth(c)}))
    c, d = pick(lambda c: c.fmt == "png" and c.height - c.width > 200, 1200)
    out.append(("03_tall_png", "tall PNG: padding left and right", d, {"objects": truth(c)}))
    c, _ = pick(lambda c: c.fmt == "jpeg" and c.width - c.height > 100, 1300)
    stored = c.image.transpose(Image.ROTATE_90)   # the file stores the picture rotated; EXIF 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=c.quality, exif=exif.tobytes())
    out.append(("04_exif_rotated_jpeg", "JPEG with EXIF orientation 6 (boxes refer to the displayed picture)",
                buf.getvalue(), {"objects": truth(c), "exif_orientation": 6}))
    c, d = pick(lambda c: c.fmt == "png" and len(c.shapes) == 4, 1400)
    out.append(("05_four_shapes", "PNG with four shapes", d, {"objects": truth(c)}))
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (128, 128, 128)).save(buf, format="PNG")
    out.append(("06_empty", "uniform grey PNG: zero detections", buf.getvalue(), {"objects": []}))
    return out


@torch.no_grad()
def write_goldens(model: TinyDetector, manifest: Dict, out: str) -> None:
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    graph = DetectorExport(model.eval()).eval()
    post = manifest["postprocess"]
    args = (post["score_threshold"], post["nms_iou_threshold"], post["max_detections"])
    names = []
    for name, desc, data, extra in golden_scenes():
        folder = os.path.join(out, name)
        os.makedirs(folder)
        ext = "png" if data[:4] == b"\x89PNG" else "jpg"
        with open(os.path.join(folder, f"image.{ext}"), "wb") as f:
            f.write(data)
        img = decode_image(data)
        pixels, g = preprocess_image(img, model.cfg)
        output = graph(pixels[None])
        dets = postprocess(output.numpy(), g, *args, model.cfg.class_names)
        if name == "06_empty" and dets:
            raise RuntimeError("the empty golden has detections")
        tensors, meta = {}, {}
        sampled("images", pixels[None], tensors, meta)
        tensors["output0"] = output
        write_bundle(os.path.join(folder, "tensors.json"), tensors)
        doc = {"name": name, "description": desc, "image": f"image.{ext}", "width": img.width,
               "height": img.height, "format": "png" if ext == "png" else "jpeg",
               "exif_orientation": extra.get("exif_orientation", 1), "geometry": g.to_dict(),
               "objects": extra["objects"], "postprocess": {k: post[k] for k in
                                                            ("score_threshold", "nms_iou_threshold", "max_detections")},
               "detections": dets, "sampled": meta}
        with open(os.path.join(folder, "case.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        names.append(name)
        print(f"{name}: {img.width}x{img.height}, {len(dets)} detections "
              f"{[(d['class_name'], round(d['score'], 3)) for d in dets]}, objects "
              f"{[o['kind'] for o in extra['objects']]}")
    write_postprocess_fixture(os.path.join(out, "postprocess"), model.cfg.class_names)
    with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"format_version": 1, "model_id": manifest["model_id"], "cases": names,
                   "postprocess_fixture": "postprocess/cases.json", "tolerances": TOLERANCES}, f, indent=1)


# ---------------------------------------------------------------------------------------------------------
# Hand-made raw outputs for the decode + NMS rules
# ---------------------------------------------------------------------------------------------------------

def _raw(rows: List[Tuple[Tuple[float, float, float, float], Tuple[float, float, float]]]) -> np.ndarray:
    """[(cx, cy, w, h), (s0, s1, s2)] per anchor -> [1, 7, A] float32."""
    out = np.zeros((1, 7, len(rows)), dtype=np.float32)
    for a, (box, scores) in enumerate(rows):
        out[0, :4, a] = box
        out[0, 4:, a] = scores
    return out


NAN = float("nan")


def postprocess_fixture_cases() -> List[Dict]:
    """Each: name, what it checks, geometry, settings, raw output; `expected_anchors` is written by hand."""
    lb = letterbox_geometry(640, 480, 320)            # new 320x240, pad_y 40
    st = letterbox_geometry(640, 480, 320, "stretch")
    base = {"score_threshold": 0.3, "nms_iou_threshold": 0.5, "max_detections": 100}
    cases = []
    rows = [
        ((100, 100, 40, 40), (0.9, 0.1, 0.1)),     # 0 kept
        ((102, 100, 40, 40), (0.9, 0.0, 0.0)),     # 1 same score as 0, later anchor: suppressed by 0
        ((100, 100, 40, 40), (0.1, 0.8, 0.0)),     # 2 other class on top of 0: kept
        ((40, 250, 30, 30), (0.3, 0.3, 0.3)),      # 3 float32(0.3) > 0.3 in float64: kept, class 0 (first max)
        ((40, 200, 30, 30), (0.29, 0.0, 0.0)),     # 4 below the threshold
        ((250, 100, 30, 30), (NAN, 0.1, 0.7)),     # 5 NaN score never wins: class 2, 0.7, kept
        ((260, 100, 30, 30), (NAN, NAN, NAN)),     # 6 all NaN: dropped
        ((NAN, 100, 30, 30), (0.95, 0.0, 0.0)),    # 7 non-finite box: dropped
        ((160, 10, 20, 10), (0.85, 0.0, 0.0)),     # 8 entirely in the top padding: dropped after clipping
        ((160, 150, 100, 100), (0.0, 0.0, 0.6)),   # 9 kept
        ((160, 125, 100, 50), (0.0, 0.0, 0.55)),   # 10 IoU with 9 exactly 0.5, not > 0.5: kept
        ((160, 140, 100, 80), (0.0, 0.0, 0.5)),    # 11 IoU with 9 = 0.8: suppressed
        ((5, 60, 30, 20), (0.0, 0.4, 0.0)),        # 12 crosses the left edge: clipped to x >= 0, kept
    ]
    cases.append(dict(name="rules", checks="ties by anchor index, class-aware NMS, float32 score vs threshold, "
                      "NaN scores and boxes, padding, IoU exactly at the threshold, clipping",
                      geometry=lb.to_dict(), settings=base, output=_raw(rows),
                      expected_anchors=[0, 2, 5, 9, 10, 12, 3]))
    rows = [((30 + 40 * i, 100, 20, 20), (0.5 + 0.05 * i, 0.0, 0.0)) for i in range(6)]
    cases.append(dict(name="max_detections", checks="only the max_detections best boxes", geometry=lb.to_dict(),
                      settings=dict(base, max_detections=3), output=_raw(rows), expected_anchors=[5, 4, 3]))
    rows = [((100, 100, 40, 40), (0.1, 0.2, 0.25)), ((50, 50, 10, 10), (0.05, 0.0, 0.0))]
    cases.append(dict(name="none", checks="no score above the threshold: no detections", geometry=lb.to_dict(),
                      settings=base, output=_raw(rows), expected_anchors=[]))
    rows = [((160, 160, 80, 40), (0.0, 0.9, 0.0)), ((310, 20, 40, 40), (0.8, 0.0, 0.0))]
    cases.append(dict(name="stretch", checks="stretch geometry: x * 2, y * 1.5; clipping at the right edge",
                      geometry=st.to_dict(), settings=base, output=_raw(rows), expected_anchors=[0, 1]))
    return cases


def write_postprocess_fixture(folder: str, class_names) -> None:
    os.makedirs(folder, exist_ok=True)
    tensors, docs = {}, []
    for c in postprocess_fixture_cases():
        g = Geometry(**c["geometry"])
        s = c["settings"]
        dets = postprocess(c["output"], g, s["score_threshold"], s["nms_iou_threshold"], s["max_detections"],
                           class_names)
        got = [d["anchor"] for d in dets]
        if got != c["expected_anchors"]:
            raise AssertionError(f"{c['name']}: reference kept {got}, expected {c['expected_anchors']}")
        tensors[c["name"]] = c["output"]
        docs.append({"name": c["name"], "checks": c["checks"], "output": c["name"], "geometry": c["geometry"],
                     "postprocess": s, "detections": dets})
    write_bundle(os.path.join(folder, "tensors.json"), tensors)
    with open(os.path.join(folder, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"class_names": list(class_names), "tensors": "tensors.json", "cases": docs}, f, indent=1)


# ---------------------------------------------------------------------------------------------------------
# "decoded" layout test graphs
# ---------------------------------------------------------------------------------------------------------

DECODED_ROWS = [  # xyxy input pixels, score, label
    ((40.0, 60.0, 120.0, 140.0), 0.92, 1),
    ((42.0, 62.0, 118.0, 141.0), 0.90, 1),     # overlaps row 0: kept (no NMS in the decoded layout)
    ((200.0, 100.0, 260.0, 180.0), 0.31, 2),
    ((10.0, 5.0, 50.0, 30.0), 0.95, 0),        # entirely in the top padding (pad_y 40): dropped
    ((250.0, 200.0, 330.0, 270.0), 0.75, 0),   # crosses the right edge: clipped
    ((100.0, 100.0, 150.0, 150.0), 0.20, 0),   # below the threshold
    ((150.0, 150.0, 170.0, 190.0), 0.80, 2),
]


def _decoded_graph(size: int, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> onnx.ModelProto:
    """images [1, 3, size, size] -> boxes, scores, labels (constants; the image only fixes the input contract)."""
    nodes, outputs = [], []
    for name, arr in (("boxes", boxes), ("scores", scores), ("labels", labels)):
        nodes.append(helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name + "_value")))
        elem = TensorProto.INT64 if arr.dtype == np.int64 else TensorProto.FLOAT
        outputs.append(helper.make_tensor_value_info(name, elem, list(arr.shape)))
    graph = helper.make_graph(nodes, "decoded_test",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
                              outputs)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="gpt4roi_ref")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def write_decoded_test(folder: str, cfg: DetectorConfig) -> None:
    """Two folders in the decoded layout: `decoded_xyxy` (boxes [N, 4] xyxy input pixels, scores [N], labels [N]
    int64) and `decoded_detr` (boxes [1, N, 4] cxcywh normalised, scores [1, N], labels [1, N] int64, as DETR-style
    exports give them), with the reference result for a 640x480 image."""
    if os.path.exists(folder):
        shutil.rmtree(folder)
    from .export_detector import FORMAT, FORMAT_VERSION, file_entries, postprocess_spec, preprocess_spec
    size = cfg.input_size
    xyxy = np.array([r[0] for r in DECODED_ROWS], dtype=np.float32)
    scores = np.array([r[1] for r in DECODED_ROWS], dtype=np.float32)
    labels = np.array([r[2] for r in DECODED_ROWS], dtype=np.int64)
    cxcywh = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                       xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]], 1) / size
    variants = {
        "decoded_xyxy": (xyxy, scores, labels, "xyxy", "input_pixels"),
        "decoded_detr": (cxcywh.astype(np.float32)[None], scores[None], labels[None], "cxcywh", "normalized"),
    }
    g = letterbox_geometry(640, 480, size)
    for name, (b, s, lab, fmt, units) in variants.items():
        sub = os.path.join(folder, name)
        os.makedirs(sub)
        onnx.save(_decoded_graph(size, b, s, lab), os.path.join(sub, "detector.onnx"))
        post = postprocess_spec(0.3, None, 100)
        post["nms"] = "none"
        post["nms_rule"] = "none: the graph's rows are final (NMS inside the graph or not needed)"
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "model_id": f"test-{name.replace('_', '-')}",
            "description": "test graph: fixed rows in the decoded layout, whatever the image",
            "graph": {"file": "detector.onnx", "opset": 17, "dtype": "float32"},
            "input": {"name": "images", "shape": [1, 3, size, size], "dtype": "float32", "layout": "NCHW"},
            "preprocess": preprocess_spec(cfg),
            "output": {"layout": "decoded",
                       "boxes": {"name": "boxes", "shape": list(b.shape), "dtype": "float32"},
                       "scores": {"name": "scores", "shape": list(s.shape), "dtype": "float32"},
                       "labels": {"name": "labels", "shape": list(lab.shape), "dtype": "int64"},
                       "box_format": fmt, "box_units": units, "nms_in_graph": True},
            "class_names": list(cfg.class_names),
            "postprocess": post,
            "files": file_entries(sub, ["detector.onnx"]),
        }
        with open(os.path.join(sub, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
        dets = postprocess_decoded(b, s, lab, g, 0.3, 100, fmt, units, None, cfg.class_names)
        with open(os.path.join(sub, "expected.json"), "w", encoding="utf-8") as f:
            json.dump({"image_width": 640, "image_height": 480, "geometry": g.to_dict(), "detections": dets},
                      f, indent=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--detector", default=None, help="detector folder with reference/ and manifest.json")
    p.add_argument("--out", default=None, help="golden folder (default: DETECTOR/golden)")
    a = p.parse_args()
    from .evaluate_detector import DEFAULT_DETECTOR
    from .train_detector import load_reference
    det = a.detector or DEFAULT_DETECTOR
    torch.set_num_threads(2)
    model = load_reference(os.path.join(det, "reference"))
    with open(os.path.join(det, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    write_goldens(model, manifest, a.out or os.path.join(det, "golden"))


if __name__ == "__main__":
    main()
