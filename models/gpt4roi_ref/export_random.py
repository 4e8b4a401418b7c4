"""A random-weight model folder of the full GPT4RoI-7B shape, exported part by part within a small RAM.

    /usr/bin/python3 -m gpt4roi_ref.export_random --out /work/big/gpt4roi-7b-random --part decoder-fp16
    ... --part decoder-int4 | decoder-fp32 | embed | vision | tokenizer | manifest   (or --part all)

For sizing, load tests and the GPU check only: the weights are N(0, 0.02) (norms 1), so answers are noise.
- decoder-*: `decoder_builder` streams one weight at a time into decoder[.fp16|.int4].onnx.data, so peak
  memory is about one matrix (lm_head, 0.5 GB in float32), not the model.
- vision: the CLIP ViT-L/14 + projector + fusion graph and the region head (the ~205M-parameter
  flatten_linear), exported with torch.onnx.export from a randomly initialised reference model (~600M
  parameters, fits in RAM), fp32 then the fp16 rewrite.
- embed: embed_tokens.bin float32 [vocab, 4096].
- tokenizer: a SentencePiece BPE model with the base vocabulary size (32000 pieces), trained on generated
  text (LLaMA's own tokenizer.model cannot be shipped or downloaded here).
- manifest: manifest.json over whatever parts exist (variants fp32 / fp16 / int4 as present).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

from .config import PRESETS, GPT4RoIConfig
from .decoder_builder import build_decoder, random_weights

PARTS = ("decoder-fp16", "decoder-int4", "decoder-fp32", "embed", "vision", "tokenizer", "manifest")
DECODER_FILES = {"fp32": "decoder.onnx", "fp16": "decoder.fp16.onnx", "int4": "decoder.int4.onnx"}


def part_decoder(cfg: GPT4RoIConfig, out: str, variant: str, block_size: int) -> None:
    path = os.path.join(out, DECODER_FILES[variant])
    sizes = build_decoder(cfg, random_weights(cfg), path, variant, block_size, external=True,
                          progress=lambda s: print(f"decoder {variant}: {s}", flush=True))
    print(f"decoder {variant}: " + ", ".join(f"{k} {v} bytes" for k, v in sizes.items()))


def part_embed(cfg: GPT4RoIConfig, out: str) -> None:
    w = random_weights(cfg)("model.embed_tokens.weight")
    w.astype("<f4").tofile(os.path.join(out, "embed_tokens.bin"))
    print(f"embed_tokens.bin {w.shape} {os.path.getsize(os.path.join(out, 'embed_tokens.bin'))} bytes")


def part_vision(cfg: GPT4RoIConfig, out: str, dtypes) -> None:
    import torch
    from .export import export_image_graphs, to_fp16
    from .modeling import GPT4RoI, init_weights
    torch.manual_seed(0)
    cfg_small = GPT4RoIConfig.from_dict(cfg.to_dict())
    cfg_small.llm.layers = 0           # the LLM body is not part of these graphs
    cfg_small.llm.vocab_size = 8
    model = GPT4RoI(cfg_small).eval()
    init_weights(model)
    export_image_graphs(model, cfg, out, 224, verbose=True)
    del model
    if "fp16" in dtypes:
        for gname in ("vision", "region_head"):
            to_fp16(os.path.join(out, f"{gname}.onnx"), os.path.join(out, f"{gname}.fp16.onnx"))
            print(f"{gname}.fp16.onnx", os.path.getsize(os.path.join(out, f"{gname}.fp16.onnx")), "bytes")


def synthetic_corpus(path: str, lines: int = 200_000, seed: int = 0) -> None:
    """Text with enough distinct words for a 32000-piece BPE vocabulary: English-like function words
    mixed with random pseudo-words, digits and punctuation."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    freq = np.array([12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0,
                     2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07])
    freq /= freq.sum()
    vocab = ["".join(rng.choice(letters, size=rng.integers(2, 11), p=freq)) for _ in range(60_000)]
    common = "the of and to in is that it for on with as was at by an be this which or from what where".split()
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    counts = rng.integers(5, 25, size=lines)
    picks = rng.choice(len(vocab), size=int(counts.sum()), p=zipf)
    use_common = rng.random(int(counts.sum())) < 0.3
    commons = rng.integers(len(common), size=int(counts.sum()))
    ends = rng.choice([".", "?", "!", ","], size=lines)
    numbers = rng.integers(0, 100000, size=lines)
    with_number = rng.random(lines) < 0.2
    pos = 0
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            n = int(counts[i])
            words = [common[commons[j]] if use_common[j] else vocab[picks[j]] for j in range(pos, pos + n)]
            pos += n
            if with_number[i]:
                words.append(str(int(numbers[i])))
            s = " ".join(words)
            f.write(s[0].upper() + s[1:] + str(ends[i]) + "\n")


def part_tokenizer(cfg: GPT4RoIConfig, out: str) -> None:
    import sentencepiece as spm
    import tempfile
    tmp = tempfile.mkdtemp(prefix="gpt4roi-spm-")
    corpus = os.path.join(tmp, "corpus.txt")
    synthetic_corpus(corpus)
    prefix = os.path.join(tmp, "tok")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=cfg.base_vocab_size, model_type="bpe",
        byte_fallback=True, split_digits=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        character_coverage=1.0, num_threads=2, train_extremely_large_corpus=False, minloglevel=2,
        hard_vocab_limit=True)
    os.replace(prefix + ".model", os.path.join(out, "tokenizer.model"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "tokenizer.model"))
    print(f"tokenizer.model: {sp.get_piece_size()} pieces")


def part_manifest(cfg: GPT4RoIConfig, out: str, block_size: int) -> None:
    from .export import INT4_NOTE, graph_names, write_manifest
    names = graph_names(cfg)
    variants, notes = {}, {}
    if os.path.exists(os.path.join(out, "decoder.onnx")) and os.path.exists(os.path.join(out, "vision.onnx")):
        variants["fp32"] = {"vision": "vision.onnx", "region_head": "region_head.onnx", "decoder": "decoder.onnx"}
    if os.path.exists(os.path.join(out, "decoder.fp16.onnx")):
        variants["fp16"] = {"vision": "vision.fp16.onnx", "region_head": "region_head.fp16.onnx",
                            "decoder": "decoder.fp16.onnx"}
    if os.path.exists(os.path.join(out, "decoder.int4.onnx")):
        variants["int4"] = {"vision": "vision.onnx", "region_head": "region_head.onnx", "decoder": "decoder.int4.onnx"}
        notes["int4"] = INT4_NOTE.format(block=block_size)
    write_manifest(SimpleNamespace(cfg=cfg), out, variants, names, None, notes)
    if "fp32" not in variants:
        import json
        p = os.path.join(out, "manifest.json")
        with open(p, encoding="utf-8") as f:
            m = json.load(f)
        m["default_variant"] = "fp16" if "fp16" in variants else next(iter(variants))
        with open(p, "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)
    print("manifest.json: variants " + ", ".join(variants))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--preset", default="7b", choices=sorted(PRESETS))
    p.add_argument("--part", action="append", choices=PARTS + ("all",), required=True)
    p.add_argument("--block-size", type=int, default=32)
    p.add_argument("--vision-dtypes", default="fp32,fp16")
    a = p.parse_args()
    cfg = PRESETS[a.preset]()
    os.makedirs(a.out, exist_ok=True)
    parts = PARTS if "all" in a.part else a.part
    for part in parts:
        t0 = time.time()
        if part.startswith("decoder-"):
            part_decoder(cfg, a.out, part.split("-")[1], a.block_size)
        elif part == "embed":
            part_embed(cfg, a.out)
        elif part == "vision":
            import torch
            torch.set_num_threads(max(1, os.cpu_count() or 1))
            part_vision(cfg, a.out, a.vision_dtypes.split(","))
        elif part == "tokenizer":
            part_tokenizer(cfg, a.out)
        elif part == "manifest":
            part_manifest(cfg, a.out, a.block_size)
        print(f"{part}: {time.time() - t0:.1f} s", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
