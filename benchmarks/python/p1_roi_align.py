"""P1 baseline and inputs: multi-level RoIAlign on GPT4RoI-7B shapes.

Writes, under <run>/p1/:
  maps/map_{l}.npy        the four fused maps, float32 channels-last [S, S, 1024] (S = 128, 64, 32, 16), as the
                          engine holds them (standard normal values, fixed seed)
  boxes.npy               float32 [32, 4] normalised xyxy boxes; the N-box case uses the first N
  ort/level{l}_nchw.onnx  one RoiAlign-16 node per level (half_pixel, avg, 14x14, sampling 2): X [1,C,S,S] NCHW
  ort/level{l}_nhwc.onnx  the same node between Transposes: channels-last map in, [N,14,14,C] out
  torchvision_{N}.npy     torchvision's output for N boxes, [N, 4, 14, 14, 1024] channels-last (the C# layout)
  python.json             torchvision roi_align(aligned=True) timings per (boxes, threads)

torchvision gets its native layout (NCHW maps, made contiguous before timing) and is timed on the four
roi_align calls only (no torch.stack, no layout change), with torch.set_num_threads(T).
"""
from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcommon as bc  # noqa: E402

CHANNELS = 1024
SIZES = (128, 64, 32, 16)
STRIDES = (14 / 8, 14 / 4, 14 / 2, 14.0)  # relative to the 224-pixel input: 1.75, 3.5, 7, 14
IMAGE_SIZE = 224
ROI = 14
SAMPLING = 2
BOX_COUNTS = (1, 8, 32)
QUICK_BOX_COUNTS = (1,)
MAX_BOXES = 32


def realistic_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Normalised xyxy boxes of object-like sizes: side log-uniform in [4%, 90%] of the image (about 9 to 200 input
    pixels), aspect ratio log-uniform in [1/2, 2], placed uniformly inside the image."""
    out = np.zeros((n, 4), dtype=np.float64)
    for i in range(n):
        side = math.exp(rng.uniform(math.log(0.04), math.log(0.9)))
        aspect = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
        w = min(side * math.sqrt(aspect), 0.98)
        h = min(side / math.sqrt(aspect), 0.98)
        x1 = rng.uniform(0, 1 - w)
        y1 = rng.uniform(0, 1 - h)
        out[i] = (x1, y1, x1 + w, y1 + h)
    return out.astype(np.float32)


def write_graphs(ort_dir: str) -> None:
    import onnx
    from onnx import TensorProto, helper

    os.makedirs(ort_dir, exist_ok=True)
    for level, (size, stride) in enumerate(zip(SIZES, STRIDES)):
        attrs = dict(coordinate_transformation_mode="half_pixel", mode="avg", output_height=ROI, output_width=ROI,
                     sampling_ratio=SAMPLING, spatial_scale=float(np.float32(1.0 / stride)))
        rois = helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["N", 4])
        idx = helper.make_tensor_value_info("batch_indices", TensorProto.INT64, ["N"])
        for layout in ("nchw", "nhwc"):
            if layout == "nchw":
                x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, CHANNELS, size, size])
                y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", CHANNELS, ROI, ROI])
                nodes = [helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"], **attrs)]
            else:
                x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, size, size, CHANNELS])
                y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", ROI, ROI, CHANNELS])
                nodes = [
                    helper.make_node("Transpose", ["X"], ["Xt"], perm=[0, 3, 1, 2]),
                    helper.make_node("RoiAlign", ["Xt", "rois", "batch_indices"], ["Yt"], **attrs),
                    helper.make_node("Transpose", ["Yt"], ["Y"], perm=[0, 2, 3, 1]),
                ]
            graph = helper.make_graph(nodes, f"roi_align_level{level}_{layout}", [x, rois, idx], [y])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)],
                                      producer_name="gpt4roi-benchmarks")
            onnx.checker.check_model(model)
            onnx.save(model, os.path.join(ort_dir, f"level{level}_{layout}.onnx"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run folder (scripts/bench.sh makes one)")
    ap.add_argument("--threads", default="1", help="comma-separated torch thread counts")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=20240617)
    args = ap.parse_args()
    load_start = bc.loadavg()

    import torch
    from torchvision.ops import roi_align

    threads = bc.parse_threads(args.threads)
    timing = bc.Timing.quick() if args.quick else bc.Timing.full()
    counts = QUICK_BOX_COUNTS if args.quick else BOX_COUNTS
    out = bc.bench_dir(args.run, "P1")

    rng = np.random.default_rng(args.seed)
    maps_dir = os.path.join(out, "maps")
    os.makedirs(maps_dir, exist_ok=True)
    nchw = []
    for level, size in enumerate(SIZES):
        m = rng.standard_normal((size, size, CHANNELS), dtype=np.float32)
        np.save(os.path.join(maps_dir, f"map_{level}.npy"), m)
        nchw.append(torch.from_numpy(m).permute(2, 0, 1).contiguous()[None])
    boxes = realistic_boxes(np.random.default_rng(args.seed + 1), MAX_BOXES)
    np.save(os.path.join(out, "boxes.npy"), boxes)
    write_graphs(os.path.join(out, "ort"))
    bc.log(f"P1: inputs written to {out}")

    results = []
    for n in counts:
        b = torch.from_numpy(boxes[:n])
        rois = torch.cat([torch.zeros(n, 1), b * IMAGE_SIZE], dim=1)  # float32, as the reference builds them

        def run(rois=rois):
            return [roi_align(m, rois, output_size=ROI, spatial_scale=1.0 / s, sampling_ratio=SAMPLING, aligned=True)
                    for m, s in zip(nchw, STRIDES)]

        with torch.no_grad():
            ref = torch.stack(run(), dim=1).permute(0, 1, 3, 4, 2).contiguous().numpy()  # [N, L, P, P, C]
            np.save(os.path.join(out, f"torchvision_{n}.npy"), ref)
            for t in threads:
                bc.set_threads(t)
                stats = bc.measure(run, timing)
                bc.log(f"P1 torchvision boxes={n} threads={t}: {stats['median_s'] * 1e3:.3f} ms")
                results.append({"boxes": n, "threads": t, "impl": "torchvision", **stats})

    bc.write_json(bc.result_file(args.run, "P1"), {
        "benchmark": "P1",
        "side": "python",
        "threads": threads,
        "timing": timing.as_json(),
        "settings": {"channels": CHANNELS, "sizes": SIZES, "strides": STRIDES, "roi": ROI, "sampling_ratio": SAMPLING,
                     "seed": args.seed, "box_counts": counts,
                     "box_sides_px": [[float((b[2] - b[0]) * IMAGE_SIZE), float((b[3] - b[1]) * IMAGE_SIZE)]
                                      for b in boxes]},
        "results": results,
        "loadavg": [load_start, bc.loadavg()],
        "versions": bc.versions(),
    })


if __name__ == "__main__":
    main()
