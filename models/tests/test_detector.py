"""The shapes detector: module shapes, letterbox, reference decode + NMS, export, the shipped folder."""
import json
import os
import sys

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from conftest import MODELS
from gpt4roi_ref.detector import (DetectorConfig, DetectorExport, Geometry, TinyDetector, assign,
                                  boxes_to_input, letterbox_geometry, make_anchors, preprocess_image,
                                  preprocess_rgb)
from gpt4roi_ref.detector_goldens import postprocess_fixture_cases, write_decoded_test
from gpt4roi_ref.detector_postprocess import (candidates, nms, postprocess, postprocess_decoded,
                                              postprocess_torchvision, to_image)
from gpt4roi_ref.evaluate_detector import evaluate, match
from gpt4roi_ref.export_detector import GRAPH_FILE, export_onnx
from gpt4roi_ref.preprocess import decode_image
from gpt4roi_ref.tensorio import read_bundle, sha256_file
from gpt4roi_ref.train_detector import load_reference

DETECTOR = os.path.join(MODELS, "tiny-detector")


def raw_output(rows):
    """[(cx, cy, w, h, s0, s1, s2)] -> [1, 7, A] float32."""
    return np.asarray(rows, dtype=np.float32).T[None].copy()


# --- module ------------------------------------------------------------------------------------------------

def test_detector_forward_shapesAndAnchorOrder():
    cfg = DetectorConfig()
    torch.manual_seed(0)
    m = TinyDetector(cfg).eval()
    with torch.no_grad():
        boxes, logits = m(torch.rand(2, 3, cfg.input_size, cfg.input_size))
        out = DetectorExport(m)(torch.rand(1, 3, cfg.input_size, cfg.input_size))
    a = cfg.num_anchors
    assert a == sum((cfg.input_size // s) ** 2 for s in (8, 16, 32))
    assert boxes.shape == (2, a, 4) and logits.shape == (2, a, 3)
    assert out.shape == (1, 4 + 3, a)
    assert torch.all(out[0, 2:4] > 0) and torch.all((out[0, 4:] >= 0) & (out[0, 4:] <= 1))
    pts, st = make_anchors(cfg.input_size, cfg.strides)
    n8 = (cfg.input_size // 8) ** 2
    assert pts[0].tolist() == [4.0, 4.0] and pts[1].tolist() == [12.0, 4.0]
    assert pts[cfg.input_size // 8].tolist() == [4.0, 12.0]            # row-major: y outer
    assert pts[n8].tolist() == [8.0, 8.0] and st[n8] == 16 and st[-1] == 32


def test_assign_smallAndLargeBoxes_getPositivesOnTheirLevel():
    cfg = DetectorConfig()
    pts, st = make_anchors(cfg.input_size, cfg.strides)
    gt = torch.tensor([[10.0, 10.0, 22.0, 22.0], [60.0, 60.0, 180.0, 180.0]])
    matched = assign(cfg, pts, st, gt)
    assert (matched == 0).sum() >= 1 and set(st[matched == 0].tolist()) == {8.0}
    assert (matched == 1).sum() >= 4 and 8.0 not in set(st[matched == 1].tolist())
    for j in (0, 1):
        p = pts[matched == j]
        assert torch.all((p[:, 0] > gt[j, 0]) & (p[:, 0] < gt[j, 2]) & (p[:, 1] > gt[j, 1]) & (p[:, 1] < gt[j, 3]))


# --- letterbox -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("w,h,size,want", [
    (640, 480, 256, (256, 192, 0, 32)),
    (480, 640, 256, (192, 256, 32, 0)),
    (160, 640, 256, (64, 256, 96, 0)),
    (512, 5, 256, (256, 3, 0, 126)),      # 2.5 rounds half up to 3 (not to even)
    (300, 300, 256, (256, 256, 0, 0)),
    (1000, 1, 256, (256, 1, 0, 127)),     # never 0 pixels
    (333, 200, 256, (256, 154, 0, 51)),   # 153.75 -> 154; odd remainder goes right/bottom
])
def test_letterbox_geometry_integerRule(w, h, size, want):
    g = letterbox_geometry(w, h, size)
    assert (g.new_w, g.new_h, g.pad_x, g.pad_y) == want
    s = letterbox_geometry(w, h, size, "stretch")
    assert (s.new_w, s.new_h, s.pad_x, s.pad_y) == (size, size, 0, 0)


def test_preprocess_padAndContent_placedExactly():
    cfg = DetectorConfig()
    rgb = np.zeros((100, 400, 3), dtype=np.uint8)
    rgb[:, :, 0] = 200
    x, g = preprocess_rgb(rgb, cfg)
    assert (g.new_w, g.new_h, g.pad_x, g.pad_y) == (256, 64, 0, 96)
    assert x.shape == (3, 256, 256) and x.dtype == torch.float32
    assert torch.all(x[:, :96] == torch.tensor(114 / 255.0))            # padding above
    assert torch.all(x[:, 96 + 64:] == torch.tensor(114 / 255.0))      # and below
    assert torch.allclose(x[0, 96:160], torch.tensor(200 / 255.0)) and torch.all(x[1, 96:160] == 0)


def test_boxMapping_roundTripsExactly_throughPostprocess():
    g = letterbox_geometry(333, 200, 256)
    orig = np.array([[10.0, 20.0, 110.5, 180.25], [200.0, 0.0, 333.0, 200.0]])
    inp = boxes_to_input(orig, g)
    np.testing.assert_allclose(to_image(inp, g), orig, rtol=0, atol=1e-9)
    rows = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1], 0.9 - 0.1 * k, 0, 0)
            for k, b in enumerate(inp)]
    out = np.asarray(rows, dtype=np.float64).T[None]       # float64 here so the mapping alone is tested
    dets = postprocess(out.astype(np.float32), g, 0.3, 0.5, 100)
    np.testing.assert_allclose([d["box"] for d in dets], orig, rtol=0, atol=2e-4)   # float32 input rounding


# --- decode + NMS ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", postprocess_fixture_cases(), ids=lambda c: c["name"])
def test_postprocess_handMadeCases(case):
    g = Geometry(**case["geometry"])
    s = case["settings"]
    dets = postprocess(case["output"], g, s["score_threshold"], s["nms_iou_threshold"], s["max_detections"],
                       DetectorConfig().class_names)
    assert [d["anchor"] for d in dets] == case["expected_anchors"]
    scores = [d["score"] for d in dets]
    assert scores == sorted(scores, reverse=True)
    for d in dets:
        x1, y1, x2, y2 = d["box"]
        assert 0 <= x1 < x2 <= g.width and 0 <= y1 < y2 <= g.height


def test_postprocess_rulesCase_boxesAndClasses():
    case = postprocess_fixture_cases()[0]
    dets = postprocess(case["output"], Geometry(**case["geometry"]), 0.3, 0.5, 100, ("circle", "square", "triangle"))
    by_anchor = {d["anchor"]: d for d in dets}
    assert by_anchor[0]["box"] == [160.0, 80.0, 240.0, 160.0]          # (100-20)*2, (100-20-40)*2, ...
    assert by_anchor[2]["class_name"] == "square"                       # other class on top of anchor 0: kept
    assert by_anchor[5]["class_name"] == "triangle" and by_anchor[5]["score"] == pytest.approx(0.7)
    assert by_anchor[3]["class_id"] == 0                                # three equal scores: first class
    assert by_anchor[12]["box"][0] == 0.0                               # clipped at the left edge


def test_postprocess_zeroAnchorsAndAllNaN_giveNoDetections():
    g = letterbox_geometry(640, 480, 256)
    assert postprocess(np.zeros((1, 7, 0), np.float32), g, 0.3, 0.5, 100) == []
    out = np.full((1, 7, 50), np.nan, np.float32)
    assert postprocess(out, g, 0.3, 0.5, 100) == []
    out[0, :4] = 10.0
    out[0, 4:] = 0.0
    assert postprocess(out, g, 0.3, 0.5, 100) == []


def test_postprocess_badShape_raises():
    with pytest.raises(ValueError):
        postprocess(np.zeros((2, 7, 5), np.float32), letterbox_geometry(10, 10, 256), 0.3, 0.5, 100)


def test_postprocess_10000Candidates_boundedAndSameAsTorchvision():
    rng = np.random.default_rng(0)
    n = 10_000
    xy = rng.uniform(0, 256, (n, 2))
    wh = rng.uniform(4, 60, (n, 2))
    scores = rng.uniform(0, 1, (n, 3))
    out = np.concatenate([xy, wh, scores], 1).T[None].astype(np.float32)
    g = letterbox_geometry(800, 600, 256)
    for max_det in (100, 300):
        dets = postprocess(out, g, 0.3, 0.5, max_det)
        ref = postprocess_torchvision(out, g, 0.3, 0.5, max_det)
        assert len(dets) <= max_det
        assert [d["anchor"] for d in dets] == [d["anchor"] for d in ref]
    c = candidates(out, 0.3)
    assert len(c.anchor) > 5000 and len(nms(c, 0.5, 10 ** 9)) < len(c.anchor)


def test_postprocess_decoded_thresholdNoNmsClip():
    g = letterbox_geometry(640, 480, 320)
    boxes = np.array([[40, 60, 120, 140], [42, 62, 118, 141], [10, 5, 50, 30], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8, 0.95, np.nan], np.float32)
    labels = np.array([1, 1, 0, 0], np.int64)
    dets = postprocess_decoded(boxes, scores, labels, g, 0.3, 100)
    assert [d["anchor"] for d in dets] == [0, 1]                        # row 2 lies in the padding, row 3 NaN
    assert dets[0]["box"] == [80.0, 40.0, 240.0, 200.0]
    with_nms = postprocess_decoded(boxes, scores, labels, g, 0.3, 100, nms_iou_threshold=0.5)
    assert [d["anchor"] for d in with_nms] == [0]


def test_match_greedyInScoreOrder():
    objs = [{"box": [0, 0, 10, 10], "kind": "circle"}, {"box": [20, 0, 30, 10], "kind": "square"}]
    dets = [{"box": [0, 0, 10, 9], "class_name": "square"}, {"box": [1, 0, 10, 10], "class_name": "circle"},
            {"box": [20, 0, 31, 10], "class_name": "square"}]
    assert match(dets, objs, same_class=False) == [0, None, 1]
    assert match(dets, objs, same_class=True) == [None, 0, 1]


# --- export ----------------------------------------------------------------------------------------------------

def test_export_roundTrip_checkerAndContract(tmp_path):
    torch.manual_seed(1)
    m = TinyDetector(DetectorConfig()).eval()
    path = str(tmp_path / GRAPH_FILE)
    export_onnx(m, path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 16
    assert [i.name for i in model.graph.input] == ["images"]
    assert [o.name for o in model.graph.output] == ["output0"]
    dims = [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 7, DetectorConfig().num_anchors]
    assert not any(n.op_type == "NonMaxSuppression" for n in model.graph.node)
    assert os.path.getsize(path) < 2_000_000


def test_decodedTestGraphs_checkAndExpected(tmp_path):
    write_decoded_test(str(tmp_path), DetectorConfig())
    for name in ("decoded_xyxy", "decoded_detr"):
        onnx.checker.check_model(str(tmp_path / name / "detector.onnx"), full_check=True)
        m = json.loads((tmp_path / name / "manifest.json").read_text())
        assert m["output"]["layout"] == "decoded"
        exp = json.loads((tmp_path / name / "expected.json").read_text())
        assert [d["anchor"] for d in exp["detections"]] == [0, 1, 6, 4, 2]


def test_train_twoSteps_thenResumes(tmp_path, monkeypatch, capsys):
    from gpt4roi_ref import train_detector
    threads = torch.get_num_threads()
    args = ["train_detector", "--out", str(tmp_path), "--steps", "2", "--batch", "2", "--workers", "0",
            "--save-every", "1", "--input-size", "64"]
    try:
        monkeypatch.setattr(sys, "argv", args)
        train_detector.main()
        assert "done: step 2" in capsys.readouterr().out
        args[args.index("--steps") + 1] = "3"
        train_detector.main()
        out = capsys.readouterr().out
    finally:
        torch.set_num_threads(threads)
    assert "resumed at step 2" in out and "done: step 3" in out
    assert load_reference(str(tmp_path / "reference")).cfg.input_size == 64


# --- the shipped folder ------------------------------------------------------------------------------------------

def test_shipped_manifestHashesMatchFiles():
    with open(os.path.join(DETECTOR, "manifest.json")) as f:
        m = json.load(f)
    assert m["format"] == "gpt4roi-detector" and m["format_version"] == 1
    assert m["output"]["layout"] == "yolo" and m["preprocess"]["resize_mode"] == "letterbox"
    assert m["graph"]["file"] in m["files"]
    for base, mm in [(DETECTOR, m)] + [(os.path.join(DETECTOR, "test", t), json.load(open(
            os.path.join(DETECTOR, "test", t, "manifest.json")))) for t in ("decoded_xyxy", "decoded_detr")]:
        for name, info in mm["files"].items():
            p = os.path.join(base, name)
            assert os.path.getsize(p) == info["bytes"], name
            assert sha256_file(p) == info["sha256"], name
    onnx.checker.check_model(os.path.join(DETECTOR, m["graph"]["file"]))


def test_shipped_folder_atMost5MB():
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(DETECTOR) for f in fs
                if "__pycache__" not in d)
    assert total <= 5 * 1024 * 1024, total


def test_shipped_goldens_reproducedByReference():
    with open(os.path.join(DETECTOR, "manifest.json")) as f:
        m = json.load(f)
    post = m["postprocess"]
    args = (post["score_threshold"], post["nms_iou_threshold"], post["max_detections"])
    model = load_reference(os.path.join(DETECTOR, "reference"))
    graph = DetectorExport(model).eval()
    with open(os.path.join(DETECTOR, "golden", "index.json")) as f:
        index = json.load(f)
    assert len(index["cases"]) >= 5
    for name in index["cases"]:
        folder = os.path.join(DETECTOR, "golden", name)
        with open(os.path.join(folder, "case.json")) as f:
            case = json.load(f)
        t = read_bundle(os.path.join(folder, "tensors.json"))
        with open(os.path.join(folder, case["image"]), "rb") as f:
            img = decode_image(f.read())
        assert img.size == (case["width"], case["height"])
        pixels, g = preprocess_image(img, model.cfg)
        assert g.to_dict() == case["geometry"]
        stride = case["sampled"]["images"]["stride"]
        np.testing.assert_allclose(pixels.flatten()[::stride].numpy(), t["images"], atol=1e-6)
        with torch.no_grad():
            out = graph(pixels[None]).numpy()
        np.testing.assert_allclose(out, t["output0"], atol=1e-3)
        dets = postprocess(t["output0"], g, *args, model.cfg.class_names)
        assert [d["anchor"] for d in dets] == [d["anchor"] for d in case["detections"]]
        np.testing.assert_allclose([d["box"] for d in dets], [d["box"] for d in case["detections"]], atol=1e-9)
    assert json.load(open(os.path.join(DETECTOR, "golden", "06_empty", "case.json")))["detections"] == []


def test_shipped_postprocessFixture_reproduced():
    folder = os.path.join(DETECTOR, "golden", "postprocess")
    doc = json.load(open(os.path.join(folder, "cases.json")))
    tensors = read_bundle(os.path.join(folder, "tensors.json"))
    for c in doc["cases"]:
        s = c["postprocess"]
        dets = postprocess(tensors[c["output"]], Geometry(**c["geometry"]), s["score_threshold"],
                           s["nms_iou_threshold"], s["max_detections"], doc["class_names"])
        assert dets == c["detections"], c["name"]


def test_shipped_detector_findsShapesOnFreshScenes(tmp_path):
    r = evaluate(DETECTOR, None, seed=98, scenes=8, dump=str(tmp_path), progress=False)
    assert r["recall_any"] >= 0.8 and r["precision_any"] >= 0.8
    doc = json.loads((tmp_path / "scenes.json").read_text())
    assert len(doc["scenes"]) == 8 and os.path.exists(tmp_path / doc["scenes"][0]["image"])
