"""Add a weight-only int4 decoder variant (com.microsoft MatMulNBits) to an exported model folder.

    /usr/bin/python3 -m gpt4roi_ref.quantize --model tiny                      # the shipped tiny model
    /usr/bin/python3 -m gpt4roi_ref.quantize --model /w/gpt4roi-7b --gpt4roi /w/GPT4RoI-7B --clip /w/clip-vit-large-patch14

Writes decoder.int4.onnx (+ .onnx.data when large) with decoder_builder from the original float weights
(never from the fp16 graph), and adds the variant "int4" to manifest.json: vision.onnx and region_head.onnx
of the fp32 variant, the int4 decoder, dtype float32 (activations stay float32). Every other file and
hash is left as it is.
"""
from __future__ import annotations

import argparse
import json
import os

from .decoder_builder import build_decoder, state_dict_weights
from .export import INT4_NOTE, file_table

EXTERNAL_MIN_BYTES = 100 * 1024 * 1024


def add_int4_variant(folder: str, cfg, weight, block_size: int = 32, default: bool = False) -> dict:
    man_path = os.path.join(folder, "manifest.json")
    with open(man_path, encoding="utf-8") as f:
        m = json.load(f)
    if "fp32" not in m["variants"]:
        raise ValueError(f"{man_path}: the int4 variant reuses the fp32 vision and region_head graphs; export fp32 first")
    params = cfg.llm.layers * (4 * cfg.llm.hidden ** 2 + 3 * cfg.llm.hidden * cfg.llm.intermediate)
    external = params // 2 > EXTERNAL_MIN_BYTES
    path = os.path.join(folder, "decoder.int4.onnx")
    sizes = build_decoder(cfg, weight, path, "int4", block_size, external=external,
                          progress=lambda s: print("int4 decoder:", s, flush=True) if cfg.llm.layers > 8 else None)
    fp32 = m["variants"]["fp32"]["graphs"]
    m["variants"]["int4"] = {"graphs": {"vision": fp32["vision"], "region_head": fp32["region_head"],
                                        "decoder": "decoder.int4.onnx"},
                             "dtype": "float32", "weights": INT4_NOTE.format(block=block_size)}
    if default:
        m["default_variant"] = "int4"
    files = file_table(folder)
    for name in sizes:
        m["files"][name] = files[name]
    m["files"] = dict(sorted(m["files"].items()))
    with open(man_path, "w", encoding="utf-8") as f:
        json.dump(m, f, indent=2)
    return sizes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="exported model folder (its reference/ is used when present)")
    p.add_argument("--gpt4roi", help="merged GPT4RoI checkpoint, for a folder without reference/")
    p.add_argument("--clip", help="CLIP checkpoint (needed to build the reference model)")
    p.add_argument("--preset", default="7b")
    p.add_argument("--block-size", type=int, default=32, choices=[16, 32, 64, 128])
    p.add_argument("--default", action="store_true", help="make int4 the folder's default variant")
    a = p.parse_args()
    if os.path.exists(os.path.join(a.model, "reference", "config.json")):
        from .evaluate import load_model
        model, _ = load_model(a.model)
        cfg, state = model.cfg, model.lm.state_dict()
    else:
        from .checkpoint import config_from_checkpoint, gpt4roi_part, read_checkpoint
        from .config import PRESETS
        if not a.gpt4roi:
            p.error("--gpt4roi is needed for a folder without reference/")
        state = gpt4roi_part(read_checkpoint(a.gpt4roi))
        cfg = config_from_checkpoint(PRESETS[a.preset](), a.gpt4roi, state["model.embed_tokens.weight"].shape[0])
    sizes = add_int4_variant(a.model, cfg, state_dict_weights(state), a.block_size, a.default)
    print("wrote " + ", ".join(f"{k} ({v} bytes)" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
