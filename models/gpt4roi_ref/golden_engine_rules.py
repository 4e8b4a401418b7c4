"""Goldens for the manifest rules the C# engine ports (docs/model-format.md, "Fields added for real weights"):

    /usr/bin/python3 -m gpt4roi_ref.golden_engine_rules            # writes goldens/engine_rules/ (from models/)

- question_rules.json: conversations through prompt.Conversation (strip, empty question, <N>, <>, a box in the
  first turn): per turn the expanded question or the PromptError message, and the <bbox> region order;
- tokenizer_special_cases.json: typed special tokens through prompt.Tokenizer (golden_preprocess's cases);
- sampling.json: inference.sampling_distribution (temperature, top-k, top-p) on fixed logits: the kept token ids,
  most likely first, and their probabilities;
- generation.json: the decoding defaults the exporter writes for the tiny model and the 7B preset.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from .config import GenerationConfig, demo_generation
from .golden_preprocess import write_tokenizer_special_cases
from .inference import sampling_distribution
from .prompt import Conversation, PromptError

# (name, [(question, new box count), ...]); each turn after the first is answered "ok" before the next.
CONVERSATIONS = [
    ("stripped", [("  What is <region1>?  ", 1)]),
    ("short_tag", [("What is <1>?", 1)]),
    ("anonymous", [("What is <>?", 1)]),
    ("anonymous_takes_free_number", [("Is <> left of <region1>?", 2), ("And <2>?", 0)]),
    ("first_turn_without_box", [("What is this?", 0)]),
    ("region_zero", [("What is <region0>?", 1)]),
    ("short_tag_zero", [("What is <0>?", 1)]),
    ("anonymous_without_box", [("What is <>?", 0)]),
    ("later_turn_empty", [("What is <region1>?", 1), ("  ", 0)]),
    ("first_turn_empty", [("", 1)]),
    ("two_anonymous", [("<> and <>", 2)]),
    ("short_then_anonymous", [("<2> and <>", 2)]),
    ("anonymous_with_bad_number", [("<region3> and <>", 2)]),
    ("short_tag_digits", [("<01> and <\u0662>", 2)]),
    ("python_whitespace", [("\x1c What is <1>?\u3000\n", 1)]),
    ("nested_brackets", [("<<1>>", 1)]),
    ("short_tag_twice", [("<1><1>", 1)]),
    ("long_and_short", [("<region1> <1>", 1)]),
    ("later_turn_anonymous", [("<1>", 1), ("compare <> with <1>", 1)]),
    ("short_tag_with_space", [("<1 >", 1)]),
    ("reserved_token", [("<bbox> <1>", 1)]),
    ("separator", [("What is <1>?\n### x", 1)]),
    ("anonymous_inside_tag", [("<region<>>", 1)]),
    ("old_region_by_short_tag", [("<1>", 1), ("<1> and <2>", 1)]),
    ("too_many_anonymous", [("<> <> <>", 2)]),
    ("empty_after_strip_later", [("<region1>", 1), ("\t\u2003", 0)]),
]

# (name, vocab, temperature, top_k, top_p, logits kind)
SAMPLING = [
    ("demo_7b", 600, 0.2, 50, 1.0, "normal"),
    ("top_p_only", 600, 1.0, 0, 0.9, "normal"),
    ("top_k_and_top_p", 600, 0.7, 5, 0.8, "normal"),
    ("top_k_one", 600, 2.0, 1, 1.0, "normal"),
    ("plain", 20, 1.0, 0, 1.0, "normal"),
    ("ties_at_kth", 40, 1.0, 3, 1.0, "ties"),
    ("k_at_vocab", 16, 0.5, 16, 1.0, "normal"),
    ("hot", 300, 5.0, 20, 0.5, "normal"),
]


def question_rules() -> list:
    out = []
    for name, turns in CONVERSATIONS:
        conv = Conversation()
        rows = []
        for i, (question, n) in enumerate(turns):
            boxes = [(1.0 + k, 1.0, 2.0 + k, 2.0) for k in range(len(conv.boxes), len(conv.boxes) + n)]
            row = {"question": question, "new_boxes": n}
            try:
                row["expanded"] = conv.add_turn(question, boxes)
                conv.set_answer("ok")
            except PromptError as e:
                row["error"] = str(e)
                rows.append(row)
                break
            rows.append(row)
        out.append({"name": name, "turns": rows, "bbox_regions": list(conv.bbox_regions)})
    return out


def sampling() -> list:
    out = []
    for i, (name, vocab, temperature, top_k, top_p, kind) in enumerate(SAMPLING):
        rng = np.random.default_rng(100 + i)
        logits = np.round(rng.normal(0, 3, vocab), 3).astype(np.float32)
        if kind == "ties":
            logits = np.round(logits / 3).astype(np.float32)   # integers: several tokens share the k-th value
        order, probs = sampling_distribution(torch.from_numpy(logits), temperature, top_k, top_p)
        kept = probs > 0
        out.append({"name": name, "temperature": temperature, "top_k": top_k, "top_p": top_p,
                    "logits": [float(str(v)) for v in logits],   # shortest text that reads back as the float32
                    "kept": [int(t) for t in order[kept]],
                    "probs": [float(p) for p in probs[kept]]})
    return out


def generation() -> dict:
    def spec(g: GenerationConfig) -> dict:
        return {"do_sample": g.do_sample, "temperature": g.temperature, "top_k": g.top_k, "top_p": g.top_p,
                "max_new_tokens": g.max_new_tokens}
    return {"tiny": spec(GenerationConfig()), "7b": spec(demo_generation())}


def write(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    for name, data in (("question_rules.json", question_rules()), ("sampling.json", sampling()),
                       ("generation.json", generation())):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            if name == "sampling.json":   # long float lists: one case per line
                f.write("[\n" + ",\n".join(json.dumps(c) for c in data) + "\n]\n")
            else:
                json.dump(data, f, indent=1, ensure_ascii=True)
    write_tokenizer_special_cases(os.path.join(out, "tokenizer_special_cases.json"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                 "goldens", "engine_rules"))
    write(p.parse_args().out)


if __name__ == "__main__":
    main()
