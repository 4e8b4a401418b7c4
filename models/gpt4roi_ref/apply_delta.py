"""Merge the released GPT4RoI-7B delta into LLaMA-7B, without transformers (what scripts/apply_delta.py of
the official repo does): target = delta + base for every LLaMA tensor; the embedding and lm_head rows past
LLaMA's 32000 (the added tokens) and the projector/region module come from the delta as they are.

    /usr/bin/python3 -m gpt4roi_ref.apply_delta --base ./llama-7b --delta ./GPT4RoI-7B-delta --target ./GPT4RoI-7B

Reads sharded .bin or .safetensors; writes sharded safetensors (fp16) with model.safetensors.index.json and
copies the delta's tokenizer files (tokenizer.model, added_tokens.json, ...). Needs ~30 GB of RAM for 7B.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import torch

from .checkpoint import drop_derived, read_checkpoint, write_safetensors

SHARD_BYTES = 2_000_000_000
# Copied from the delta beside the merged weights: the tokenizer files and config.json (vocab_size,
# mm_vision_select_layer, mm_use_im_start_end), which the exporter reads.
TOKENIZER_FILES = ("tokenizer.model", "added_tokens.json", "special_tokens_map.json", "tokenizer_config.json",
                   "config.json", "generation_config.json")
DELTA_ONLY = ("model.mm_projector.", "model.spi_module.")


def apply_delta(base_path: str, delta_path: str, target: str, dtype: torch.dtype = torch.float16) -> int:
    base = drop_derived(read_checkpoint(base_path))
    delta = drop_derived(read_checkpoint(delta_path))
    merged = {}
    for name, d in delta.items():
        if name.startswith(DELTA_ONLY):
            merged[name] = d.to(dtype)
            continue
        if name not in base:
            raise KeyError(f"{name} is in the delta but not in the base checkpoint {base_path}")
        b = base[name]
        out = d.to(torch.float32)
        if out.shape == b.shape:
            out += b.to(torch.float32)
        elif name in ("model.embed_tokens.weight", "lm_head.weight") and out.shape[1:] == b.shape[1:]:
            out[: b.shape[0]] += b.to(torch.float32)
        else:
            raise ValueError(f"{name}: delta shape {tuple(out.shape)} vs base {tuple(b.shape)}")
        merged[name] = out.to(dtype)
    os.makedirs(target, exist_ok=True)
    shards, current, size = [], {}, 0
    for name in sorted(merged):
        n = merged[name].numel() * merged[name].element_size()
        if current and size + n > SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[name] = merged[name]
        size += n
    shards.append(current)
    weight_map = {}
    for i, shard in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(os.path.join(target, fname), shard, {"format": "pt"})
        weight_map.update({k: fname for k in shard})
    with open(os.path.join(target, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": sum(t.numel() * t.element_size() for t in merged.values())},
                   "weight_map": weight_map}, f, indent=1)
    delta_dir = delta_path if os.path.isdir(delta_path) else os.path.dirname(delta_path)
    for fname in TOKENIZER_FILES:
        if os.path.exists(os.path.join(delta_dir, fname)):
            shutil.copyfile(os.path.join(delta_dir, fname), os.path.join(target, fname))
    return len(merged)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="LLaMA-7B in HF format (folder or file)")
    p.add_argument("--delta", required=True, help="GPT4RoI-7B-delta-V0 (folder or file)")
    p.add_argument("--target", required=True)
    a = p.parse_args()
    n = apply_delta(a.base, a.delta, a.target)
    print(f"wrote {n} tensors to {a.target}")


if __name__ == "__main__":
    main()
