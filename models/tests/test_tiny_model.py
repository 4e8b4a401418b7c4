"""The shipped tiny model: manifest integrity, size, goldens reproduced by the reference, accuracy smoke."""
import json
import os

import numpy as np
import torch

from conftest import MODELS
from gpt4roi_ref.evaluate import evaluate, load_model
from gpt4roi_ref.inference import Pipeline
from gpt4roi_ref.preprocess import decode_image, pixels_from_image
from gpt4roi_ref.prompt import Conversation
from gpt4roi_ref.tensorio import read_bundle, sha256_file

TINY = os.path.join(MODELS, "tiny")


def test_manifest_hashesMatchFiles():
    with open(os.path.join(TINY, "manifest.json")) as f:
        m = json.load(f)
    assert m["format_version"] == 2
    for name, info in m["files"].items():
        p = os.path.join(TINY, name)
        assert os.path.getsize(p) == info["bytes"], name
        assert sha256_file(p) == info["sha256"], name
    for graphs in (v["graphs"] for v in m["variants"].values()):
        assert all(g in m["files"] for g in graphs.values())
    assert m["tokenizer"]["added_tokens"]["<bbox>"] == m["tokenizer"]["base_vocab_size"] + 3


def test_tiny_folder_atMost20MB():
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(TINY) for f in fs
                if "__pycache__" not in d)
    assert total <= 20 * 1024 * 1024, total


def test_goldens_reproducedByReference():
    model, tok = load_model(TINY)
    pipe = Pipeline(model, tok)
    with open(os.path.join(TINY, "golden", "index.json")) as f:
        index = json.load(f)
    assert len(index["cases"]) >= 8
    for name in index["cases"][:3]:
        folder = os.path.join(TINY, "golden", name)
        with open(os.path.join(folder, "case.json")) as f:
            case = json.load(f)
        tensors = read_bundle(os.path.join(folder, "tensors.json"))
        with open(os.path.join(folder, case["image"]), "rb") as f:
            img = decode_image(f.read())
        pixels = pixels_from_image(img)
        meta = case["sampled"]["pixels"]
        np.testing.assert_allclose(pixels.flatten()[::meta["stride"]].numpy(), tensors["pixels"], atol=1e-6)
        tokens, maps = pipe.encode_image(pixels)
        conv = Conversation()
        for k, turn in enumerate(case["turns"]):
            conv.add_turn(turn["question"], turn["new_boxes"])
            _, regions = pipe.region_embeddings(maps, conv.boxes, case["width"], case["height"])
            gen = pipe.generate(tokens, regions, conv)
            conv.set_answer(gen.answer)
            assert gen.prompt_ids == turn["prompt_ids"]
            assert gen.token_ids == turn["greedy_ids"]
            assert gen.answer == turn["expected_answer"]
            np.testing.assert_allclose(gen.first_logits.numpy(), tensors[f"first_logits_turn{k}"], atol=1e-4)


def test_evaluate_freshCases_allCorrect():
    model, tok = load_model(TINY)
    res = evaluate(Pipeline(model, tok), seed=99, cases=6, progress=False)
    assert res["conversation"]["correct"] >= 5
