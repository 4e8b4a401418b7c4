"""Tests of the benchmark runner's Python side (benchmarks/python): the report's tables and verdicts on synthetic
results, the P1 box generator and RoiAlign graphs, the .npy/JSON plumbing. Nothing here times anything."""
import importlib
import json
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks", "python"))

report = importlib.import_module("report")
bc = importlib.import_module("benchcommon")
p1 = importlib.import_module("p1_roi_align")


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def _p1_run(tmp_path, csharp_s, ort_s, tv_s, error):
    run = tmp_path / "run"
    common = {"boxes": 8, "threads": 1}
    _write(str(run / "p1" / "python.json"), {
        "benchmark": "P1", "timing": bc.Timing.full().as_json(), "loadavg": [1.0, 2.0],
        "results": [{**common, "impl": "torchvision", "median_s": tv_s, "min_s": tv_s}]})
    _write(str(run / "p1" / "csharp.json"), {
        "benchmark": "P1", "loadavg": [2.0, 3.0],
        "results": [{**common, "impl": "CSharp", "median_s": csharp_s, "min_s": csharp_s},
                    {**common, "impl": "CSharpBefore", "median_s": 2 * csharp_s, "min_s": 2 * csharp_s},
                    {**common, "impl": "OrtNchw", "median_s": ort_s, "min_s": ort_s},
                    {**common, "impl": "OrtNhwc", "median_s": 2 * ort_s, "min_s": 2 * ort_s}],
        "errors": [{"boxes": 8, "csharp_vs_torchvision": error, "ort_vs_torchvision": 0.0, "csharp_vs_before": 0.0,
                    "csharp_parallel_vs_serial": 0.0}],
        "odd_shapes": {"cases": 612, "differing": 0}})
    return run


def _tables(run):
    lines = []
    summary = []
    for bench, fn in report.REPORTS.items():
        py = report.load(os.path.join(run, bench.lower(), "python.json"))
        cs = report.load(os.path.join(run, bench.lower(), "csharp.json"))
        if py or cs:
            body, rows = fn(py, cs)
            lines += body
            summary += rows
    return "\n".join(lines), summary


def test_p1_ratios_and_verdicts(tmp_path):
    run = _p1_run(tmp_path, csharp_s=0.010, ort_s=0.020, tv_s=0.100, error=0.0)
    text, summary = _tables(str(run))
    ort = next(r for r in summary if r["baseline"].startswith("onnxruntime"))
    tv = next(r for r in summary if r["baseline"].startswith("torchvision"))
    assert abs(ort["ratio"] - 2.0) < 1e-9 and abs(tv["ratio"] - 10.0) < 1e-9
    assert "| 8     | 1       | 10.0 ms | 20.0 ms    | 2.00x (2.00x) | >= 3x | NOT met |" in text
    assert "10.0x (10.0x) | >= 5x | met" in text
    assert "612 other shapes" in text and "0 differ" in text


def test_p1_error_above_goal_is_not_met(tmp_path):
    run = _p1_run(tmp_path, csharp_s=0.010, ort_s=0.100, tv_s=0.100, error=2e-5)
    text, summary = _tables(str(run))
    row = next(line for line in text.splitlines() if "2.0e-05" in line)
    assert row.replace(" ", "").endswith("|2.0e-05|NOTmet|")
    assert next(r for r in summary if r["baseline"].startswith("torchvision"))["max_abs_error"] == 2e-5


def test_missing_csharp_side_is_reported(tmp_path):
    run = tmp_path / "run"
    _write(str(run / "p1" / "python.json"), {"benchmark": "P1", "results": []})
    _write(str(run / "p1" / "csharp.json"), {"benchmark": "P1", "not_implemented": True})
    text, summary = _tables(str(run))
    assert "missing results" in text and summary == []


def test_p2_table(tmp_path):
    run = tmp_path / "run"
    img = {"name": "1mp.jpg", "format": "jpg", "width": 1152, "height": 864, "bytes": 200000}
    ref = [{"image": "1mp.jpg", "threads": 1, "impl": "reference", "stage": s, "median_s": v, "min_s": v}
           for s, v in (("total", 0.030), ("decode", 0.020), ("preprocess", 0.010))]
    cs = [{"image": "1mp.jpg", "impl": i, "median_s": v, "min_s": v}
          for i, v in (("Total", 0.010), ("Decode", 0.009), ("DecodeImageSharp", 0.005), ("Preprocess", 0.001),
                       ("PreprocessBefore", 0.002))]
    _write(str(run / "p2" / "python.json"), {"settings": {"images": [img]}, "results": ref})
    _write(str(run / "p2" / "csharp.json"), {"results": cs, "errors": [{"image": "1mp.jpg", "csharp_vs_reference": 0.03}]})
    text, summary = _tables(str(run))
    assert abs(summary[0]["ratio"] - 3.0) < 1e-9
    assert "3.00x (3.00x) | >= 2x | met" in text and "3.0e-02" in text


def test_realistic_boxes_inside_image_with_sizes_in_range():
    boxes = p1.realistic_boxes(np.random.default_rng(1), 200)
    assert boxes.dtype == np.float32 and boxes.shape == (200, 4)
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 1).all()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert (w > 0.02).all() and (h > 0.02).all() and (w < 0.99).all() and (h < 0.99).all()
    same = p1.realistic_boxes(np.random.default_rng(1), 200)
    assert (boxes == same).all()


def test_roi_align_graphs_are_valid_opset16(tmp_path):
    import onnx

    p1.write_graphs(str(tmp_path))
    for level in range(4):
        for layout in ("nchw", "nhwc"):
            model = onnx.load(str(tmp_path / f"level{level}_{layout}.onnx"))
            onnx.checker.check_model(model)
            assert model.opset_import[0].version == 16
            node = next(n for n in model.graph.node if n.op_type == "RoiAlign")
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert attrs["coordinate_transformation_mode"] == b"half_pixel" and attrs["mode"] == b"avg"
            assert attrs["output_height"] == 14 and attrs["sampling_ratio"] == 2
            assert abs(attrs["spatial_scale"] - 1 / p1.STRIDES[level]) < 1e-7


def test_machine_description_has_the_basics():
    m = bc.machine()
    assert m["logical_cpus"] >= 1 and m["memory_gib"] > 0 and m["cpu_model"]


def test_p3_table_compares_per_step_rates(tmp_path):
    run = tmp_path / "run"
    case = {"prompt": "what_1_region", "answer_tokens": 16, "threads": 1, "prompt_tokens": 312}
    _write(str(run / "p3" / "python.json"), {"results": [{**case, "impl": "reference", "median_s": 0.004, "min_s": 0.003,
                                                          "tokens_per_s": 250.0, "prefill_median_s": 0.05}]})
    _write(str(run / "p3" / "csharp.json"), {"results": [{**case, "impl": "csharp", "median_s": 0.001, "min_s": 0.001,
                                                          "tokens_per_s": 1000.0, "prefill_median_s": 0.02,
                                                          "allocated_bytes_per_token": 300.0}]})
    text, summary = _tables(str(run))
    assert abs(summary[0]["ratio"] - 4.0) < 1e-9
    assert "| 1000.0      | 250.0              | 4.00x (3.00x) | >= 5x | NOT met |" in text
    assert text.splitlines()[-1].replace(" ", "").endswith("|300|NOTmet|")


def test_p4_to_p7_tables_from_the_csharp_side_alone(tmp_path):
    run = tmp_path / "run"
    _write(str(run / "p4" / "csharp.json"), {"results": [
        {"answer_tokens": 16, "threads": 1, "turn1_median_s": 0.2, "turn2_median_s": 0.05, "ratio": 0.25,
         "turn2_reused_prompt_tokens": 311}]})
    _write(str(run / "p5" / "csharp.json"), {"results": [
        {"prompt": "what_1_region", "threads": 1, "end_to_end_median_s": 0.1, "ort_median_s": 0.085,
         "vision_median_s": 0.02, "region_head_median_s": 0.001, "prefill_median_s": 0.03, "steps_median_s": 0.034,
         "glue_share_median": 0.15}]})
    _write(str(run / "p6" / "csharp.json"), {"results": [
        {"questions": 8, "max_batch": 8, "threads": 1, "sequential_median_s": 3.0, "concurrent_median_s": 1.0,
         "concurrent_tokens_per_s": 256.0, "average_batch": 7.5, "ratio": 3.0}]})
    _write(str(run / "p7" / "csharp.json"), {"results": [
        {"cli": "publish ReadyToRun", "cold_process_median_s": 1.2, "load_median_s": 0.6, "warm_query_median_s": 0.4,
         "ratio": 1.2, "answer": "a red circle"}]})
    text, summary = _tables(str(run))
    assert [r["benchmark"] for r in summary] == ["P4", "P5", "P6", "P7"]
    assert "| 25%             | <= 35% | met |" in text
    assert "| 15.0% | <= 10% | NOT met |" in text
    assert "| 3.00x | >= 2.5x | met |" in text
    assert "| publish ReadyToRun | 1200 ms" in text and "| 1.20                  | <= 1.3 | met |" in text
