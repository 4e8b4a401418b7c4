"""Exact-match accuracy of a trained model on fresh shapes cases, through the PyTorch reference.

    /usr/bin/python3 -m gpt4roi_ref.evaluate --model tiny_checkpoint_dir [--cases 400] [--seed 7]

Every case is a 3-turn conversation on a new image; each turn's answer is the model's own greedy answer
fed back into the history, as a user would see it. Evaluation seeds lie above 2**31, which training
never draws.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict

import torch

from .checkpoint import load_official
from .config import GPT4RoIConfig
from .inference import Pipeline
from .modeling import GPT4RoI
from .preprocess import decode_image, pixels_from_image
from .prompt import Conversation, Tokenizer
from .shapes import KINDS, make_case

EVAL_SEED_BASE = 2 ** 31
DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tiny")


def eval_seed(seed: int, i: int) -> int:
    return EVAL_SEED_BASE + seed * 1_000_000 + i


def load_model(model_dir: str, device: str = "cpu"):
    """A shipped model folder (reference/ in the official layouts + tokenizer.model, e.g. models/tiny)
    or a training output folder (config.json, model.pt, tokenizer.model)."""
    ref = os.path.join(model_dir, "reference")
    if os.path.exists(os.path.join(ref, "config.json")):
        cfg = GPT4RoIConfig.load(os.path.join(ref, "config.json"))
        model = GPT4RoI(cfg)
        load_official(model, os.path.join(ref, "gpt4roi.safetensors"), os.path.join(ref, "clip_vision.safetensors"))
    else:
        cfg = GPT4RoIConfig.load(os.path.join(model_dir, "config.json"))
        model = GPT4RoI(cfg)
        model.load_state_dict(torch.load(os.path.join(model_dir, "model.pt"), map_location="cpu"))
    model.to(device).eval()
    tok = Tokenizer(os.path.join(model_dir, "tokenizer.model"), cfg.base_vocab_size, cfg.added_token_ids(),
                    cfg.special_token_strings())
    return model, tok


def run_case(pipe: Pipeline, case, data: bytes = None):
    img = decode_image(data if data is not None else case.encode())
    pixels = pixels_from_image(img, mode=pipe.model.cfg.preprocess)
    tokens, maps = pipe.encode_image(pixels)
    conv = Conversation()
    results = []
    for turn in case.turns:
        conv.add_turn(turn.question, turn.boxes)
        _, regions = pipe.region_embeddings(maps, conv.boxes, case.width, case.height)
        gen = pipe.generate(tokens, regions, conv)
        conv.set_answer(gen.answer)
        results.append((turn.kind, gen.answer, turn.answer))
    return results


def evaluate(pipe: Pipeline, seed: int, cases: int, turns: int = 3, progress: bool = True,
             dump: str = None) -> dict:
    """Accuracy per kind and per conversation. With `dump`, also writes each case (image, questions, boxes,
    expected and reference answers) for the C# pipeline to answer (`gpt4roi-modeltools shapes-eval DIR`)."""
    per_kind = defaultdict(lambda: [0, 0])
    conv_ok = 0
    t0 = time.time()
    dumped = []
    for i in range(cases):
        case = make_case(eval_seed(seed, i), turns=turns)
        data = case.encode()
        res = run_case(pipe, case, data)
        if dump:
            os.makedirs(dump, exist_ok=True)
            name = f"case{i:04d}.{case.fmt if case.fmt == 'png' else 'jpg'}"
            with open(os.path.join(dump, name), "wb") as f:
                f.write(data)
            dumped.append({"image": name, "seed": case.seed, "turns": [
                {"kind": t.kind, "question": t.question, "regions": [list(b) for b in t.boxes],
                 "expected": t.answer, "reference": got} for t, (_, got, _) in zip(case.turns, res)]})
        all_ok = True
        for kind, got, want in res:
            ok = got.strip().lower() == want.strip().lower()
            per_kind[kind][0] += ok
            per_kind[kind][1] += 1
            all_ok &= ok
        conv_ok += all_ok
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{cases} cases, {time.time() - t0:.0f} s", flush=True)
    out = {k: {"correct": per_kind[k][0], "total": per_kind[k][1],
               "accuracy": per_kind[k][0] / max(1, per_kind[k][1])} for k in KINDS}
    out["conversation"] = {"correct": conv_ok, "total": cases, "accuracy": conv_ok / max(1, cases)}
    if dump:
        with open(os.path.join(dump, "cases.json"), "w", encoding="utf-8") as f:
            json.dump({"seed": seed, "cases": dumped, "reference": out}, f, indent=1)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, help="model folder (default: the shipped models/tiny)")
    p.add_argument("--cases", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default=None, help="also write the figures here")
    p.add_argument("--dump", default=None, help="write the cases and reference answers here for the C# check")
    a = p.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model, tok = load_model(a.model, a.device)
    pipe = Pipeline(model, tok, a.device)
    res = evaluate(pipe, a.seed, a.cases, dump=a.dump)
    print(f"evaluation: {a.cases} fresh 3-turn conversations (seeds {eval_seed(a.seed, 0)}..), greedy")
    for k in KINDS:
        r = res[k]
        print(f"  {k:<9} {r['correct']:>4}/{r['total']:<4} {100 * r['accuracy']:6.2f}%")
    r = res["conversation"]
    print(f"  {'3-turn':<9} {r['correct']:>4}/{r['total']:<4} {100 * r['accuracy']:6.2f}%  (all three answers right)")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
