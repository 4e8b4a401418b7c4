"""The detector as GPT4RoI's region provider, end to end, on fresh shapes scenes.

    /usr/bin/python3 -m gpt4roi_ref.evaluate_detector --scenes 400 --seed 21 [--dump DIR] [--bench]

For every scene (seeds above 2**31, which training never draws; `evaluate.eval_seed`): the encoded image
(PNG or JPEG) -> decode + EXIF orientation -> detector (PyTorch reference of the exported graph) -> reference
decode + NMS (`detector_postprocess.postprocess`) -> boxes in image pixels. Then:

- detection quality at IoU >= 0.5, greedy matching in score order: "any class" counts a box that covers an
  object, "right class" also needs the shape kind (matching only within the class);
- the shipped tiny GPT4RoI (`models/tiny/reference`, as `gpt4roi_ref.evaluate` runs it) is asked
  "What is <region1>?" once per detected box (a one-turn conversation per box, greedy); the answer is
  scored against the object the box matched (any class): `a {colour} {shape}`.

`--dump DIR` writes the scene images and `scenes.json` (ground truth, the reference detections with their
scores and classes, each question and reference answer) for the C# pipeline to run on the same scenes.
`--bench` times the reference decode + NMS alone on the collected raw outputs (numpy; and torchvision's
`batched_nms` for comparison) and prints ms per scene.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from .detector import (MAX_DETECTIONS, NMS_IOU_THRESHOLD, SCORE_THRESHOLD, DetectorExport, TinyDetector,
                       preprocess_image)
from .detector_postprocess import postprocess, postprocess_torchvision, time_postprocess
from .evaluate import DEFAULT_MODEL, eval_seed, load_model
from .preprocess import decode_image, pixels_from_image
from .shapes import make_case
from .train_detector import load_reference

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DETECTOR = os.path.join(MODELS_DIR, "tiny-detector")
QUESTION = "What is <region1>?"


def load_detector(folder: str) -> Tuple[TinyDetector, Dict]:
    """A detector folder (models/tiny-detector: reference/ + manifest.json) or a training output folder
    (reference/ only). Returns the model and the post-processing settings (the manifest's, else defaults)."""
    model = load_reference(os.path.join(folder, "reference"))
    post = {"score_threshold": SCORE_THRESHOLD, "nms_iou_threshold": NMS_IOU_THRESHOLD,
            "max_detections": MAX_DETECTIONS}
    mpath = os.path.join(folder, "manifest.json")
    if os.path.exists(mpath):
        with open(mpath, encoding="utf-8") as f:
            m = json.load(f)
        post = {k: m["postprocess"][k] for k in post}
    return model, post


@torch.no_grad()
def detect(graph: DetectorExport, img, post: Dict) -> Tuple[List[Dict], np.ndarray, object]:
    pixels, g = preprocess_image(img, graph.model.cfg)
    out = graph(pixels[None]).numpy()
    dets = postprocess(out, g, post["score_threshold"], post["nms_iou_threshold"], post["max_detections"],
                       graph.model.cfg.class_names)
    return dets, out, g


def box_iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(dets: List[Dict], objects: List[Dict], same_class: bool, iou: float = 0.5) -> List[Optional[int]]:
    """Greedy matching in the detections' order (score descending): each detection takes the unmatched object
    with the highest IoU >= `iou` (of its class when `same_class`). Returns the object index per detection."""
    used = set()
    out: List[Optional[int]] = []
    for d in dets:
        best, best_iou = None, iou
        for j, o in enumerate(objects):
            if j in used or (same_class and o["kind"] != d["class_name"]):
                continue
            v = box_iou(d["box"], o["box"])
            if v >= best_iou:
                best, best_iou = j, v
        if best is not None:
            used.add(best)
        out.append(best)
    return out


def evaluate(detector_dir: str, gpt4roi_dir: Optional[str], seed: int, scenes: int, dump: Optional[str] = None,
             bench: bool = False, progress: bool = True, overrides: Optional[Dict] = None) -> Dict:
    model, post = load_detector(detector_dir)
    post.update({k: v for k, v in (overrides or {}).items() if v is not None})
    graph = DetectorExport(model).eval()
    names = model.cfg.class_names
    pipe = None
    if gpt4roi_dir:
        from .inference import Pipeline
        gmodel, tok = load_model(gpt4roi_dir)
        pipe = Pipeline(gmodel, tok)
    from .prompt import Conversation
    counts = {k: 0 for k in ("objects", "detections", "tp_any", "tp_class", "described", "answered",
                             "answered_right", "unmatched_dets")}
    per_class = {n: {"objects": 0, "detections": 0, "tp": 0} for n in names}
    outputs, geometries, dumped = [], [], []
    t_det = t_gpt = 0.0
    t0 = time.time()
    for i in range(scenes):
        case = make_case(eval_seed(seed, i), turns=1)
        data = case.encode()
        img = decode_image(data)
        objects = [{"box": [float(v) for v in s.box], "kind": s.kind, "colour": s.colour} for s in case.shapes]
        t = time.perf_counter()
        dets, out, g = detect(graph, img, post)
        t_det += time.perf_counter() - t
        if bench:
            outputs.append(out)
            geometries.append(g)
        any_match = match(dets, objects, same_class=False)
        class_match = match(dets, objects, same_class=True)
        counts["objects"] += len(objects)
        counts["detections"] += len(dets)
        counts["tp_any"] += sum(m is not None for m in any_match)
        counts["tp_class"] += sum(m is not None for m in class_match)
        counts["unmatched_dets"] += sum(m is None for m in any_match)
        for o in objects:
            per_class[o["kind"]]["objects"] += 1
        for d, m in zip(dets, class_match):
            per_class[d["class_name"]]["detections"] += 1
            per_class[d["class_name"]]["tp"] += m is not None
        answers: List[Optional[str]] = [None] * len(dets)
        if pipe is not None and dets:
            t = time.perf_counter()
            tokens, maps = pipe.encode_image(pixels_from_image(img))
            for k, d in enumerate(dets):
                conv = Conversation()
                conv.add_turn(QUESTION, [tuple(d["box"])])
                _, regions = pipe.region_embeddings(maps, conv.boxes, case.width, case.height)
                answers[k] = pipe.generate(tokens, regions, conv).answer
            t_gpt += time.perf_counter() - t
            for k, m in enumerate(any_match):
                if m is None:
                    continue
                counts["answered"] += 1
                o = objects[m]
                right = answers[k].strip().lower() == f"a {o['colour']} {o['kind']}"
                counts["answered_right"] += right
                counts["described"] += right
        if dump:
            os.makedirs(dump, exist_ok=True)
            name = f"scene{i:04d}.{'png' if case.fmt == 'png' else 'jpg'}"
            with open(os.path.join(dump, name), "wb") as f:
                f.write(data)
            dumped.append({
                "image": name, "seed": case.seed, "width": case.width, "height": case.height,
                "geometry": g.to_dict(), "objects": objects,
                "detections": [dict(d, matched_object=m, matched_object_same_class=mc, question=QUESTION,
                                    reference_answer=ans,
                                    expected_answer=(f"a {objects[m]['colour']} {objects[m]['kind']}"
                                                     if m is not None else None))
                               for d, m, mc, ans in zip(dets, any_match, class_match, answers)]})
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{scenes} scenes, {time.time() - t0:.0f} s", flush=True)
    res = {"scenes": scenes, "seed": seed, "first_scene_seed": eval_seed(seed, 0), "postprocess": post,
           "counts": counts, "per_class": per_class,
           "recall_any": counts["tp_any"] / max(1, counts["objects"]),
           "precision_any": counts["tp_any"] / max(1, counts["detections"]),
           "recall_class": counts["tp_class"] / max(1, counts["objects"]),
           "precision_class": counts["tp_class"] / max(1, counts["detections"]),
           "answer_accuracy": counts["answered_right"] / max(1, counts["answered"]),
           "end_to_end": counts["described"] / max(1, counts["objects"]),
           "detector_ms_per_scene": 1000 * t_det / max(1, scenes),
           "gpt4roi_ms_per_box": 1000 * t_gpt / max(1, counts["detections"]) if pipe is not None else None,
           "wall_s": time.time() - t0}
    if bench:
        args = (post["score_threshold"], post["nms_iou_threshold"], post["max_detections"])
        res["bench"] = {
            "numpy_reference_ms_per_scene": time_postprocess(outputs, geometries, *args),
            "torchvision_batched_nms_ms_per_scene": time_postprocess(outputs, geometries, *args,
                                                                     fn=postprocess_torchvision),
            "torch_threads": torch.get_num_threads(),
            "same_boxes": all(
                [d["anchor"] for d in postprocess(o, g, *args)] == [d["anchor"] for d in postprocess_torchvision(o, g, *args)]
                for o, g in zip(outputs, geometries))}
    if dump:
        with open(os.path.join(dump, "scenes.json"), "w", encoding="utf-8") as f:
            json.dump({"format": "gpt4roi-detector-eval", "format_version": 1, "seed": seed,
                       "detector": os.path.relpath(detector_dir, MODELS_DIR) if detector_dir.startswith(MODELS_DIR)
                       else detector_dir, "postprocess": post, "question": QUESTION,
                       "scenes": dumped, "reference": {k: v for k, v in res.items() if k != "bench"}}, f, indent=1)
    return res


def print_report(r: Dict, with_gpt4roi: bool) -> None:
    c, post = r["counts"], r["postprocess"]
    print(f"detector evaluation: {r['scenes']} fresh scenes (seeds {r['first_scene_seed']}..), "
          f"score > {post['score_threshold']}, class-aware NMS IoU > {post['nms_iou_threshold']}, "
          f"max {post['max_detections']}")
    print(f"  {'IoU >= 0.5':<22} {'objects':>8} {'boxes':>7} {'matched':>8} {'recall':>8} {'precision':>10}")
    print(f"  {'any class':<22} {c['objects']:>8} {c['detections']:>7} {c['tp_any']:>8} "
          f"{100 * r['recall_any']:>7.2f}% {100 * r['precision_any']:>9.2f}%")
    print(f"  {'right class':<22} {c['objects']:>8} {c['detections']:>7} {c['tp_class']:>8} "
          f"{100 * r['recall_class']:>7.2f}% {100 * r['precision_class']:>9.2f}%")
    for n, pc in r["per_class"].items():
        print(f"    {n:<20} {pc['objects']:>8} {pc['detections']:>7} {pc['tp']:>8} "
              f"{100 * pc['tp'] / max(1, pc['objects']):>7.2f}% {100 * pc['tp'] / max(1, pc['detections']):>9.2f}%")
    if with_gpt4roi:
        print(f"tiny GPT4RoI, \"{QUESTION}\" on each detected box (greedy), answer vs the matched object:")
        print(f"  {'a {colour} {shape}':<22} {c['answered_right']:>5}/{c['answered']:<5} "
              f"{100 * r['answer_accuracy']:6.2f}%  ({c['unmatched_dets']} boxes matched no object, not scored)")
        print(f"  {'end to end':<22} {c['described']:>5}/{c['objects']:<5} {100 * r['end_to_end']:6.2f}%  "
              f"(objects found and described right)")
    line = f"time: {r['wall_s']:.0f} s; detector forward {r['detector_ms_per_scene']:.1f} ms/scene (torch, " \
           f"{torch.get_num_threads()} threads)"
    if r.get("gpt4roi_ms_per_box") is not None:
        line += f"; GPT4RoI {r['gpt4roi_ms_per_box']:.0f} ms/box"
    print(line)
    if "bench" in r:
        b = r["bench"]
        print(f"decode + NMS (Python reference, numpy argmax/stable argsort/vectorised IoU): "
              f"{b['numpy_reference_ms_per_scene']:.3f} ms/scene; torchvision.ops.batched_nms variant: "
              f"{b['torchvision_batched_nms_ms_per_scene']:.3f} ms/scene; same boxes: {b['same_boxes']} "
              f"(best of 5 passes over the {r['scenes']} scenes' raw outputs)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--detector", default=DEFAULT_DETECTOR, help="detector folder (default: models/tiny-detector)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="GPT4RoI model folder (default: models/tiny)")
    p.add_argument("--scenes", type=int, default=400)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--dump", default=None, help="write scenes, reference detections and answers here")
    p.add_argument("--bench", action="store_true", help="also time the reference decode + NMS per scene")
    p.add_argument("--no-gpt4roi", action="store_true", help="detection figures only")
    p.add_argument("--score-threshold", type=float, default=None, help="override the manifest's")
    p.add_argument("--nms-iou-threshold", type=float, default=None, help="override the manifest's")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is faster on a shared 2-core machine)")
    p.add_argument("--json", default=None, help="also write the figures here")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    r = evaluate(a.detector, None if a.no_gpt4roi else a.model, a.seed, a.scenes, a.dump, a.bench,
                 overrides={"score_threshold": a.score_threshold, "nms_iou_threshold": a.nms_iou_threshold})
    print_report(r, not a.no_gpt4roi)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(r, f, indent=2)


if __name__ == "__main__":
    main()
