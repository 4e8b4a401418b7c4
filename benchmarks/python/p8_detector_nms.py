"""P8 baseline: detector decode + class-aware NMS, the Python reference (numpy) on the raw outputs of fresh scenes.

For N fresh shapes scenes (the scenes `gpt4roi_ref.evaluate_detector --seed S` draws: `evaluate.eval_seed`, seeds
above 2**31), the shipped tiny detector's PyTorch reference (`models/tiny-detector/reference`, the graph the ONNX
export was traced from) gives the raw output [1, 7, 1344]; `detector_postprocess.postprocess` (steps 1-7 of
docs/model-format.md) turns it into boxes. Timed per scene over all N outputs (median of the timed iterations /
N), and the same with torchvision's `batched_nms`. A second case is one dense output of 10,000 anchors that all pass
the threshold (the bound the C# side caps at `max_candidates`).

Writes <run>/p8/outputs.npy ([N, 7, 1344] float32), dense.npy ([1, 7, 10000]), scenes.json (geometries, settings,
the reference's kept anchors per scene) and <run>/p8/python.json. One thread (the C# decode is single-threaded).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcommon as bc  # noqa: E402

sys.path.insert(0, bc.MODELS)

SCENES = 400
QUICK_SCENES = 20
DENSE = 10_000


def dense_output(rng: np.random.Generator) -> np.ndarray:
    """10,000 anchors on a 100 x 100 grid of overlapping 12 px boxes, every score above 0.5, three classes."""
    a = np.arange(DENSE)
    out = np.zeros((1, 7, DENSE), dtype=np.float32)
    out[0, 0] = 8 + (a % 100) * 6
    out[0, 1] = 8 + (a // 100) * 6
    out[0, 2] = 12
    out[0, 3] = 12
    out[0, 4 + (a % 3), a] = (0.5 + 0.49 * rng.random(DENSE)).astype(np.float32)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--threads", default="1", help="accepted for a uniform command line; P8 runs at 1 thread")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    load_start = bc.loadavg()

    import torch
    from gpt4roi_ref.detector import DetectorExport, letterbox_geometry, preprocess_image
    from gpt4roi_ref.detector_postprocess import postprocess, postprocess_torchvision
    from gpt4roi_ref.evaluate import eval_seed
    from gpt4roi_ref.evaluate_detector import DEFAULT_DETECTOR, load_detector
    from gpt4roi_ref.preprocess import decode_image
    from gpt4roi_ref.shapes import make_case

    bc.set_threads(1)
    timing = bc.Timing.quick() if args.quick else bc.Timing.full()
    out_dir = bc.bench_dir(args.run, "P8")
    model, post = load_detector(DEFAULT_DETECTOR)
    graph = DetectorExport(model).eval()
    names = model.cfg.class_names
    thr, iou, mx = post["score_threshold"], post["nms_iou_threshold"], post["max_detections"]
    n = QUICK_SCENES if args.quick else SCENES
    outputs, geometries, scenes = [], [], []
    with torch.no_grad():
        for i in range(n):
            case = make_case(eval_seed(args.seed, i), turns=1)
            pixels, g = preprocess_image(decode_image(case.encode()), model.cfg)
            out = graph(pixels[None]).numpy().astype(np.float32)
            outputs.append(out)
            geometries.append(g)
            dets = postprocess(out, g, thr, iou, mx, names)
            scenes.append({"geometry": g.to_dict(), "anchors": [d["anchor"] for d in dets],
                           "boxes": [d["box"] for d in dets]})
    stacked = np.concatenate(outputs, axis=0)
    np.save(os.path.join(out_dir, "outputs.npy"), stacked)
    dense = dense_output(np.random.default_rng(args.seed))
    np.save(os.path.join(out_dir, "dense.npy"), dense)
    dense_g = letterbox_geometry(1200, 1200, 640)
    dense_dets = postprocess(dense, dense_g, 0.3, iou, mx, names)
    bc.write_json(os.path.join(out_dir, "scenes.json"), {
        "settings": {"score_threshold": thr, "nms_iou_threshold": iou, "max_detections": mx, "class_names": list(names),
                     "seed": args.seed},
        "scenes": scenes,
        "dense": {"geometry": dense_g.to_dict(), "score_threshold": 0.3, "anchors": [d["anchor"] for d in dense_dets]},
    })
    bc.log(f"P8: {n} scene outputs {stacked.shape} and one dense output {dense.shape} written to {out_dir}")

    def per_scene(fn):
        def run():
            for o, g in zip(outputs, geometries):
                fn(o, g, thr, iou, mx)
        stats = bc.measure(run, timing)
        return {k: (v / n if k.endswith("_s") else v) for k, v in stats.items()}

    results = [
        {"case": "scenes", "impl": "numpy_reference", **per_scene(postprocess)},
        {"case": "scenes", "impl": "torchvision_batched_nms", **per_scene(postprocess_torchvision)},
        {"case": "dense_10000", "impl": "numpy_reference", **bc.measure(lambda: postprocess(dense, dense_g, 0.3, iou, mx), timing)},
        {"case": "dense_10000", "impl": "torchvision_batched_nms",
         **bc.measure(lambda: postprocess_torchvision(dense, dense_g, 0.3, iou, mx), timing)},
    ]
    for r in results:
        bc.log(f"P8 {r['case']} {r['impl']}: {r['median_s'] * 1e3:.3f} ms (median)")
    bc.write_json(bc.result_file(args.run, "P8"), {
        "benchmark": "P8", "side": "python", "threads": [1], "timing": timing.as_json(),
        "settings": {"scenes": n, "seed": args.seed, "anchors": int(stacked.shape[2]), "dense_anchors": DENSE,
                     "score_threshold": thr, "nms_iou_threshold": iou, "max_detections": mx},
        "results": results, "loadavg": [load_start, bc.loadavg()], "versions": bc.versions(),
    })


if __name__ == "__main__":
    main()
