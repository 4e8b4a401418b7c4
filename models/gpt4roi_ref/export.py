"""Export a GPT4RoI checkpoint to the model folder the C# engine loads.

    # the shipped tiny model (reference weights in models/tiny/reference):
    /usr/bin/python3 -m gpt4roi_ref.export --model tiny --out tiny
    # real weights:
    /usr/bin/python3 -m gpt4roi_ref.export --preset 7b --gpt4roi /w/GPT4RoI-7B --clip /w/clip-vit-large-patch14 \
        --tokenizer /w/GPT4RoI-7B/tokenizer.model --out /w/gpt4roi-7b-onnx --dtype fp16

Writes vision.onnx, region_head.onnx, decoder.onnx (+ .fp16 variants with --dtype both|fp16),
embed_tokens.bin, tokenizer.model and manifest.json; runs onnx.checker on every graph; then compares every
graph with torch on random inputs through ONNX Runtime (the C# `gpt4roi-modeltools parity` command,
since Debian has no Python onnxruntime) and prints each max abs error.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List

import onnx
import torch
import torch.nn as nn

from .checkpoint import config_from_checkpoint, load_official, read_checkpoint
from .config import (CLIP_MEAN, CLIP_STD, IMAGE_INTRO, PREPROCESS_CLIP, PRESETS, STOP_STRING, SYSTEM_PROMPT,
                     GPT4RoIConfig)
from .modeling import GPT4RoI, multi_level_roi_align
from .tensorio import sha256_file, write_bundle

# 2: the decoder graph runs over a fixed-capacity key/value cache (KvDecoderGraph); 1 had a growing past.
FORMAT_VERSION = 2
OPSET = 17
EXTERNAL_DATA_THRESHOLD = 1_800_000_000  # protobuf's hard limit is 2 GiB
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Max abs error allowed against torch fp32. fp16 graphs store and compute in half precision, so their
# logits (magnitude ~10) are held to 0.2 and the rest to 5e-2.
TOLERANCE = {"fp32": {"vision": 1e-4, "region_head": 1e-4, "decoder": 1e-4},
             "fp16": {"vision": 5e-2, "region_head": 5e-2, "decoder": 2e-1}}


class VisionGraph(nn.Module):
    """pixels -> image tokens and the four fused maps, channels-last for the C# RoIAlign."""

    def __init__(self, model: GPT4RoI):
        super().__init__()
        self.model = model

    def forward(self, pixels):
        tokens, maps = self.model.encode_image(pixels)
        return (tokens,) + tuple(m.permute(0, 2, 3, 1) for m in maps)


class RegionHeadGraph(nn.Module):
    """RoIAlign output (channels-last) + normalised boxes -> one embedding per region."""

    def __init__(self, model: GPT4RoI):
        super().__init__()
        self.head = model.lm.model.spi_module.roi_align

    def forward(self, roi_features, boxes):
        return self.head(roi_features.permute(0, 1, 4, 2, 3), boxes)


class KvDecoderGraph(nn.Module):
    """The decoder over a fixed-capacity key/value cache (GPT4RoIForCausalLM.decode_cached): the engine binds each
    cache.i input and its cache_out.i output to the same buffer, so a step writes only its new rows in place
    (ONNX Runtime's ScatterElements skips the copy when its input and output share memory)."""

    def __init__(self, model: GPT4RoI):
        super().__init__()
        self.lm = model.lm

    def forward(self, inputs_embeds, position_ids, *cache_flat):
        cache = [(cache_flat[2 * i], cache_flat[2 * i + 1]) for i in range(len(cache_flat) // 2)]
        logits, updated = self.lm.decode_cached(inputs_embeds, position_ids, cache)
        flat: List[torch.Tensor] = []
        for k, v in updated:
            flat += [k, v]
        return (logits,) + tuple(flat)


def graph_names(cfg: GPT4RoIConfig) -> Dict[str, Dict[str, List[str]]]:
    n = cfg.vision.num_region_levels
    cache = [f"cache.{i}.{kv}" for i in range(cfg.llm.layers) for kv in ("key", "value")]
    cache_out = [f"cache_out.{i}.{kv}" for i in range(cfg.llm.layers) for kv in ("key", "value")]
    return {
        "vision": {"inputs": ["pixels"], "outputs": ["image_tokens"] + [f"fused_map_{i}" for i in range(n)]},
        "region_head": {"inputs": ["roi_features", "boxes"], "outputs": ["region_embeddings"]},
        "decoder": {"inputs": ["inputs_embeds", "position_ids"] + cache, "outputs": ["logits"] + cache_out},
    }


def kv_sample(past: List[torch.Tensor], pos: torch.Tensor, capacity: int = 16) -> List[torch.Tensor]:
    """A fixed-capacity cache holding `past` in its first slots and noise after (never attended to)."""
    g = torch.Generator().manual_seed(1)
    cache = []
    for p in past:
        c = torch.randn(p.shape[0], p.shape[1], capacity, p.shape[3], generator=g)
        c[:, :, : p.shape[2]] = p
        cache.append(c)
    assert int(pos.max()) < capacity
    return cache


def sample_inputs(model: GPT4RoI, seed: int = 0):
    """Random but realistic inputs for tracing and parity: a random image, boxes, embeddings, keys/values of
    five earlier positions (placed in a cache by kv_sample)."""
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    pixels = torch.randn(1, 3, cfg.vision.image_size, cfg.vision.image_size, generator=g)
    xy = torch.rand(3, 2, generator=g) * 0.6
    wh = torch.rand(3, 2, generator=g) * 0.35 + 0.05
    boxes = torch.cat([xy, xy + wh], dim=1)
    with torch.no_grad():
        tokens, maps = model.encode_image(pixels)
        rois = multi_level_roi_align(maps, boxes, torch.zeros(3, dtype=torch.long), cfg)
    heads, hd, layers = cfg.llm.heads, cfg.llm.head_dim, cfg.llm.layers
    embed_std = float(model.lm.model.embed_tokens.weight.std())
    t, p = 6, 5
    embeds = torch.randn(1, t, cfg.llm.hidden, generator=g) * embed_std
    pos = torch.arange(p, p + t)[None]
    past = [torch.randn(1, heads, p, hd, generator=g) for _ in range(2 * layers)]
    return pixels, boxes, rois.permute(0, 1, 3, 4, 2).contiguous(), (embeds, pos, past)


def _export(module: nn.Module, args, path: str, inputs: List[str], outputs: List[str], dynamic: Dict) -> None:
    tmp = tempfile.mkdtemp()
    try:
        tmp_path = os.path.join(tmp, "model.onnx")
        extra = {}
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            extra["dynamo"] = False  # newer torch defaults to the dynamo exporter; keep the TorchScript one
        torch.onnx.export(module, args, tmp_path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True, **extra)
        m = onnx.load(tmp_path)  # pulls in any external data torch wrote
        save_model(m, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_model(m: onnx.ModelProto, path: str) -> None:
    """One .onnx file, or .onnx + one .onnx.data file when the weights pass the protobuf limit."""
    size = sum(len(t.raw_data) for t in m.graph.initializer)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    if size > EXTERNAL_DATA_THRESHOLD or os.environ.get("GPT4ROI_FORCE_EXTERNAL_DATA") == "1":
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
        onnx.checker.check_model(path)
    else:
        onnx.save_model(m, path)
        onnx.checker.check_model(m)


def to_fp16(src: str, dst: str) -> None:
    """fp16 variant: float32 initializers and Constant tensors become float16, graph float inputs and
    outputs become float16, Cast-to-float becomes Cast-to-float16. Resize's roi/scales stay float32."""
    import numpy as np
    from onnx import TensorProto, numpy_helper

    def half(arr):
        # float32 extremes (the attention mask's fill value) saturate to the float16 range, not to inf.
        return np.clip(arr, -65504.0, 65504.0).astype("float16")

    m = onnx.load(src)
    keep32 = set()
    for node in m.graph.node:
        if node.op_type == "Resize":
            keep32.update(node.input[1:3])
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT and init.name not in keep32:
            arr = half(numpy_helper.to_array(init))
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for node in m.graph.node:
        if node.op_type == "Constant" and node.output[0] not in keep32:
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
                    arr = half(numpy_helper.to_array(attr.t))
                    attr.t.CopyFrom(numpy_helper.from_array(arr, attr.t.name))
        if node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == TensorProto.FLOAT:
                    attr.i = TensorProto.FLOAT16
        if node.op_type == "ConstantOfShape":
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
                    arr = half(numpy_helper.to_array(attr.t))
                    attr.t.CopyFrom(numpy_helper.from_array(arr, attr.t.name))
    for vi in list(m.graph.input) + list(m.graph.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    del m.graph.value_info[:]
    save_model(m, dst)


def export_all(model: GPT4RoI, out: str, dtypes: List[str], tokenizer: str, tokenizer_dir: str = None,
               parity_dir: str = None, run_parity: bool = True) -> int:
    cfg = model.cfg
    os.makedirs(out, exist_ok=True)
    model.eval()
    names = graph_names(cfg)
    pixels, boxes, rois, (embeds, pos, past) = sample_inputs(model)
    dec_dyn = {"inputs_embeds": {0: "batch", 1: "sequence"}, "position_ids": {0: "batch", 1: "sequence"},
               "logits": {0: "batch", 1: "sequence"}}
    for n in names["decoder"]["inputs"][2:] + names["decoder"]["outputs"][1:]:
        dec_dyn[n] = {0: "batch", 2: "capacity"}
    with torch.no_grad():
        _export(VisionGraph(model), (pixels,), os.path.join(out, "vision.onnx"), names["vision"]["inputs"],
                names["vision"]["outputs"], {n: {0: "batch"} for n in names["vision"]["inputs"] + names["vision"]["outputs"]})
        _export(RegionHeadGraph(model), (rois, boxes), os.path.join(out, "region_head.onnx"),
                names["region_head"]["inputs"], names["region_head"]["outputs"],
                {"roi_features": {0: "regions"}, "boxes": {0: "regions"}, "region_embeddings": {0: "regions"}})
        _export(KvDecoderGraph(model), (embeds, pos, *kv_sample(past, pos)), os.path.join(out, "decoder.onnx"),
                names["decoder"]["inputs"], names["decoder"]["outputs"], dec_dyn)
    variants = {"fp32": {g: f"{g}.onnx" for g in names}}
    if "fp16" in dtypes:
        variants["fp16"] = {g: f"{g}.fp16.onnx" for g in names}
        for g in names:
            to_fp16(os.path.join(out, f"{g}.onnx"), os.path.join(out, f"{g}.fp16.onnx"))
    if "fp32" not in dtypes:
        for g in names:
            for suffix in ("", ".data"):
                p = os.path.join(out, f"{g}.onnx{suffix}")
                if os.path.exists(p):
                    os.remove(p)
        del variants["fp32"]
    emb = model.lm.model.embed_tokens.weight.detach().to(torch.float32).contiguous().numpy()
    emb.astype("<f4").tofile(os.path.join(out, "embed_tokens.bin"))
    if os.path.abspath(tokenizer) != os.path.abspath(os.path.join(out, "tokenizer.model")):
        shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.model"))
    write_manifest(model, out, variants, names, tokenizer_dir)
    print(f"exported {cfg.name} to {out}: " + ", ".join(sorted(os.listdir(out))))
    if not run_parity:
        return 0
    return parity(model, out, variants, names, parity_dir, (pixels, boxes, rois, embeds, pos, past))


RESIZE_MODES = {
    "stretch_bilinear": "bilinear, half-pixel centres, no antialias, float32, no rounding",
    PREPROCESS_CLIP: "CLIPImageProcessor resize (shortest edge, PIL bicubic, antialiased, uint8), then "
                     "bilinear to 224x224 (half-pixel centres, no antialias, float32)",
}
QUESTION_RULES = {
    "strip": True, "empty_question": "hello, world!", "short_tag": "<{n}>", "anonymous_tag": "<>",
    "first_turn_needs_region": True,
}
INT4_NOTE = ("decoder projections and lm_head as com.microsoft MatMulNBits: 4 bits, asymmetric, block_size "
             "{block} along K; activations float32")


def file_table(out: str) -> Dict[str, Dict]:
    files = {}
    for f in sorted(os.listdir(out)):
        p = os.path.join(out, f)
        if os.path.isfile(p) and f != "manifest.json":
            files[f] = {"bytes": os.path.getsize(p), "sha256": sha256_file(p)}
    return files


def tokenizer_spec(cfg: GPT4RoIConfig, tokenizer_path: str, tokenizer_dir: str = None) -> Dict:
    """The manifest's tokenizer block: ids from the checkpoint's tokenizer files when present."""
    from .prompt import Tokenizer
    tok = Tokenizer(tokenizer_path, cfg.base_vocab_size, cfg.added_token_ids(), cfg.special_token_strings())
    has_file = bool(tokenizer_dir) and os.path.exists(os.path.join(tokenizer_dir, "added_tokens.json"))
    return {
        "file": "tokenizer.model", "type": "sentencepiece", "add_bos": True,
        "bos_id": tok.bos_id, "eos_id": tok.eos_id, "unk_id": tok.sp.unk_id(),
        "base_vocab_size": tok.sp.get_piece_size(),
        "added_tokens": dict(sorted(tok.added.items(), key=lambda kv: kv[1])),
        "added_tokens_source": "added_tokens.json" if has_file else
        ("training order after the base vocabulary" if cfg.added_tokens is not None
         else "demo order after the base vocabulary"),
        "special_tokens": tok.special_strings,
        "added_token_rule": "split on added tokens and special tokens, strip whitespace on both sides of each, "
                            "encode each remaining chunk alone (dummy prefix), BOS first (HF slow LlamaTokenizer)",
    }


def write_manifest(model: GPT4RoI, out: str, variants: Dict, names: Dict, tokenizer_dir: str = None,
                   variant_notes: Dict[str, str] = None) -> None:
    cfg = model.cfg
    files = file_table(out)
    gen = cfg.generation
    manifest = {
        "format": "gpt4roi-onnx",
        "format_version": FORMAT_VERSION,
        "model_id": cfg.name,
        "dims": {
            "image_size": cfg.vision.image_size, "patch_size": cfg.vision.patch_size,
            "num_patches": cfg.vision.num_patches, "vision_width": cfg.vision.width,
            "region_width": cfg.region.width, "num_levels": cfg.vision.num_region_levels,
            "feature_map_sizes": cfg.feature_map_sizes, "feature_strides": cfg.feature_strides,
            "roi_size": cfg.region.roi_size, "sampling_ratio": cfg.region.sampling_ratio,
            "roi_aligned": True, "roi_pool": "avg",
            "hidden": cfg.llm.hidden, "layers": cfg.llm.layers, "heads": cfg.llm.heads,
            "head_dim": cfg.llm.head_dim, "vocab_size": cfg.llm.vocab_size, "max_positions": cfg.llm.max_positions,
        },
        "preprocess": {
            "color": "RGB", "apply_exif_orientation": True, "resize": [cfg.vision.image_size, cfg.vision.image_size],
            "mode": cfg.preprocess, "resize_mode": RESIZE_MODES[cfg.preprocess],
            "scale": 1.0 / 255.0, "mean": list(CLIP_MEAN), "std": list(CLIP_STD), "layout": "NCHW",
            "boxes": "pixel xyxy in the oriented image, divided by (w, h, w, h)",
        },
        "prompt": {
            "template": "conv_v1_2", "system": SYSTEM_PROMPT, "system_suffix": "\n\n",
            "image_intro": IMAGE_INTRO, "image_placeholder": "<image>",
            "image_tokens": {"start": "<im_start>", "patch": "<im_patch>", "end": "<im_end>",
                             "count": cfg.vision.num_patches},
            "human_prefix": "### Human: ", "assistant_prefix": "### Assistant: ", "turn_suffix": "\n",
            "generation_prefix": "### ", "region_token": "<bbox>", "region_first_mention": "region{n} <bbox>",
            "region_later_mention": "region{n}", "region_tag": "<region{n}>",
            "stop_strings": [STOP_STRING], "strip_from_answer": ["Assistant: ", "Assistant:"],
            "question_rules": QUESTION_RULES,
        },
        "generation": {"do_sample": gen.do_sample, "temperature": gen.temperature, "top_k": gen.top_k,
                       "top_p": gen.top_p, "max_new_tokens": gen.max_new_tokens},
        **({"detection_prompt": dict(cfg.detection_prompt)} if cfg.detection_prompt else {}),
        "tokenizer": tokenizer_spec(cfg, os.path.join(out, "tokenizer.model"), tokenizer_dir),
        "embeddings": {"file": "embed_tokens.bin", "dtype": "float32", "shape": [cfg.llm.vocab_size, cfg.llm.hidden]},
        "graphs": {g: dict(names[g]) for g in names},
        "layouts": {
            "pixels": "[batch, 3, H, W] float",
            "image_tokens": "[batch, num_patches, hidden]",
            "fused_map_i": "[batch, S_i, S_i, region_width] channels-last, S = feature_map_sizes[i]",
            "roi_features": "[regions, num_levels, roi_size, roi_size, region_width] channels-last",
            "boxes": "[regions, 4] normalised xyxy in [0,1]",
            "region_embeddings": "[regions, hidden]",
            "inputs_embeds": "[batch, sequence, hidden]",
            "position_ids": "[batch, sequence] int64; a token's position is also its cache slot",
            "cache.i.key|value": "[batch, heads, capacity, head_dim]; the decoder writes the new tokens' rows at their positions and attends to slots 0..position (cache_out.i = cache.i updated; bind both to one buffer)",
            "logits": "[batch, sequence, vocab_size] float",
        },
        "variants": {k: dict({"graphs": v, "dtype": "float16" if k == "fp16" else "float32"},
                             **({"weights": variant_notes[k]} if variant_notes and k in variant_notes else {}))
                     for k, v in variants.items()},
        "default_variant": "fp32" if "fp32" in variants else "fp16",
        "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)


def parity(model: GPT4RoI, out: str, variants: Dict, names: Dict, parity_dir: str, samples) -> int:
    pixels, boxes, rois, embeds, pos, past = samples
    with torch.no_grad():
        vis = VisionGraph(model)(pixels)
        head = RegionHeadGraph(model)(rois, boxes)
        cache = kv_sample(past, pos)
        dec = KvDecoderGraph(model)(embeds, pos, *cache)
        # A first call, as the engine makes it: positions from 0, the cache holding anything.
        pos0 = torch.arange(embeds.shape[1])[None]
        dec0 = KvDecoderGraph(model)(embeds, pos0, *cache)
    own_dir = parity_dir is None
    parity_dir = parity_dir or tempfile.mkdtemp(prefix="gpt4roi-parity-")
    os.makedirs(parity_dir, exist_ok=True)
    cases = {
        "vision": (dict(zip(names["vision"]["inputs"], [pixels])), dict(zip(names["vision"]["outputs"], vis))),
        "region_head": (dict(zip(names["region_head"]["inputs"], [rois, boxes])),
                        dict(zip(names["region_head"]["outputs"], [head]))),
        "decoder": (dict(zip(names["decoder"]["inputs"], [embeds, pos, *cache])),
                    dict(zip(names["decoder"]["outputs"], dec))),
        "decoder_first_call": (dict(zip(names["decoder"]["inputs"], [embeds, pos0, *cache])),
                               dict(zip(names["decoder"]["outputs"], dec0))),
    }
    for variant, graphs in variants.items():
        for case, (inputs, outputs) in cases.items():
            graph = case.split("_first")[0]
            if variant == "fp16":
                inputs = {k: (v.half() if v.is_floating_point() else v) for k, v in inputs.items()}
            stem = f"{variant}.{case}"
            write_bundle(os.path.join(parity_dir, f"{stem}.inputs.json"), inputs)
            write_bundle(os.path.join(parity_dir, f"{stem}.outputs.json"), outputs)
            with open(os.path.join(parity_dir, f"{stem}.parity.json"), "w", encoding="utf-8") as f:
                json.dump({"graph": f"{variant}/{case}", "model": os.path.abspath(os.path.join(out, graphs[graph])),
                           "inputs": f"{stem}.inputs.json", "outputs": f"{stem}.outputs.json",
                           "tolerance": TOLERANCE[variant][graph]}, f, indent=1)
    rc = run_parity_tool(parity_dir)
    if own_dir:
        shutil.rmtree(parity_dir, ignore_errors=True)
    return rc


def run_parity_tool(parity_dir: str) -> int:
    project = os.path.join(REPO_ROOT, "src", "GPT4RoI.ModelTools")
    cmd = ["dotnet", "run", "--project", project, "-c", "Release", "--", "parity", parity_dir]
    print("parity through ONNX Runtime: " + " ".join(cmd), flush=True)
    try:
        return subprocess.run(cmd, check=False).returncode
    except FileNotFoundError:
        print("error: dotnet not found; the parity check needs the .NET SDK", file=sys.stderr)
        return 2


def load_for_export(args) -> tuple:
    if args.model:
        from .evaluate import load_model
        model, _ = load_model(args.model)
        return model, os.path.join(args.model, "tokenizer.model"), None
    cfg = PRESETS[args.preset]()
    if args.config:
        cfg = GPT4RoIConfig.load(args.config)
    # Vocabulary rows, LLaMA sizes, added-token ids and special tokens come from the checkpoint itself.
    state = read_checkpoint(args.gpt4roi)
    cfg = config_from_checkpoint(cfg, args.gpt4roi, vocab_rows=state["model.embed_tokens.weight"].shape[0])
    del state
    model = GPT4RoI(cfg)
    load_official(model, args.gpt4roi, args.clip)
    return model, args.tokenizer, os.path.dirname(os.path.abspath(args.tokenizer))



def export_image_graphs(model: GPT4RoI, cfg: GPT4RoIConfig, out: str, image_size: int, verbose: bool = False) -> None:
    """vision.onnx and region_head.onnx of `model` into `out`, traced on a fixed random image and two boxes."""
    names = graph_names(cfg)
    g = torch.Generator().manual_seed(0)
    pixels = torch.randn(1, 3, image_size, image_size, generator=g)
    boxes = torch.tensor([[0.1, 0.1, 0.5, 0.6], [0.3, 0.2, 0.9, 0.8]])
    with torch.no_grad():
        _, maps = model.encode_image(pixels)
        rois = multi_level_roi_align(maps, boxes, torch.zeros(2, dtype=torch.long), cfg).permute(0, 1, 3, 4, 2)
        for graph, inputs, name, axes in (
                (VisionGraph(model), (pixels,), "vision", {n: {0: "batch"} for n in names["vision"]["inputs"] + names["vision"]["outputs"]}),
                (RegionHeadGraph(model), (rois.contiguous(), boxes), "region_head",
                 {"roi_features": {0: "regions"}, "boxes": {0: "regions"}, "region_embeddings": {0: "regions"}})):
            path = os.path.join(out, f"{name}.onnx")
            _export(graph, inputs, path, names[name]["inputs"], names[name]["outputs"], axes)
            if verbose:
                print(f"{name}.onnx", os.path.getsize(path), "bytes", flush=True)


def export_streaming(args, dtypes: List[str]) -> int:
    """Real weights within a small RAM: vision + region head through torch (CLIP, projector and region
    module only, ~0.6 G parameters), the decoder(s) through decoder_builder reading one checkpoint tensor
    at a time (peak about one shard). No torch parity for the decoder (the full model is not built); the
    builder itself is checked against torch by the tests."""
    from types import SimpleNamespace
    from .checkpoint import LazyCheckpoint, clip_vision_part, gpt4roi_part
    from .decoder_builder import build_decoder, state_dict_weights
    lazy = LazyCheckpoint(args.gpt4roi)
    cfg = PRESETS[args.preset]()
    if args.config:
        cfg = GPT4RoIConfig.load(args.config)
    cfg = config_from_checkpoint(cfg, args.gpt4roi, vocab_rows=lazy["model.embed_tokens.weight"].shape[0])
    out = args.out
    os.makedirs(out, exist_ok=True)
    small = GPT4RoIConfig.from_dict(cfg.to_dict())
    small.llm.layers, small.llm.vocab_size = 0, 8
    model = GPT4RoI(small).eval()
    part = {k: lazy[k].float() for k in lazy.keys() if k.startswith(("model.mm_projector.", "model.spi_module."))}
    missing = [k for k in model.lm.state_dict() if k.startswith(("model.mm_projector.", "model.spi_module."))
               and k not in part]
    if missing:
        raise ValueError(f"{args.gpt4roi}: missing {missing[:3]}")
    model.lm.load_state_dict(part, strict=False)
    model.vision_tower.load_state_dict({k: v.float() for k, v in clip_vision_part(read_checkpoint(args.clip)).items()},
                                       strict=True)
    names = graph_names(cfg)
    export_image_graphs(model, cfg, out, cfg.vision.image_size)
    del model, part
    weight = state_dict_weights(lazy)
    variants, notes = {}, {}
    for d in dtypes:
        dec = {"fp32": "decoder.onnx", "fp16": "decoder.fp16.onnx", "int4": "decoder.int4.onnx"}[d]
        build_decoder(cfg, weight, os.path.join(out, dec), d, 32, external=True,
                      progress=lambda s, d=d: print(f"decoder {d}: {s}", flush=True))
        if d == "fp16":
            for gname in ("vision", "region_head"):
                to_fp16(os.path.join(out, f"{gname}.onnx"), os.path.join(out, f"{gname}.fp16.onnx"))
            variants["fp16"] = {"vision": "vision.fp16.onnx", "region_head": "region_head.fp16.onnx", "decoder": dec}
        else:
            variants[d] = {"vision": "vision.onnx", "region_head": "region_head.onnx", "decoder": dec}
        if d == "int4":
            notes["int4"] = INT4_NOTE.format(block=32)
    lazy["model.embed_tokens.weight"].float().numpy().astype("<f4").tofile(os.path.join(out, "embed_tokens.bin"))
    if os.path.abspath(args.tokenizer) != os.path.abspath(os.path.join(out, "tokenizer.model")):
        shutil.copyfile(args.tokenizer, os.path.join(out, "tokenizer.model"))
    write_manifest(SimpleNamespace(cfg=cfg), out, variants, names, os.path.dirname(os.path.abspath(args.tokenizer)),
                   notes)
    if "fp32" not in variants:
        p = os.path.join(out, "manifest.json")
        with open(p, encoding="utf-8") as f:
            m = json.load(f)
        m["default_variant"] = "fp16" if "fp16" in variants else "int4"
        with open(p, "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)
    print(f"exported {cfg.name} to {out}: " + ", ".join(sorted(os.listdir(out))))
    return 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="a shipped model folder with reference/ (e.g. models/tiny)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="7b")
    p.add_argument("--config", help="config.json overriding the preset")
    p.add_argument("--gpt4roi", help="merged GPT4RoI checkpoint (folder or file)")
    p.add_argument("--clip", help="CLIP ViT-L/14 checkpoint (folder or file)")
    p.add_argument("--tokenizer", help="tokenizer.model (its folder's added_tokens.json is read if present)")
    p.add_argument("--out", required=True)
    p.add_argument("--dtype", choices=["fp32", "fp16", "both", "int4"], action="append",
                   help="fp32 (default), fp16, both (= fp32 and fp16), int4 (weight-only decoder; needs --stream "
                        "or use gpt4roi_ref.quantize); repeatable")
    p.add_argument("--stream", action="store_true",
                   help="real weights in little RAM: the decoder is built by decoder_builder one tensor at a time")
    p.add_argument("--parity-dir", help="keep the parity inputs/outputs here")
    p.add_argument("--no-parity", action="store_true")
    a = p.parse_args()
    if not a.model and not (a.gpt4roi and a.clip and a.tokenizer):
        p.error("give --model DIR, or --gpt4roi, --clip and --tokenizer")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    dtypes = []
    for d in a.dtype or ["fp32"]:
        for x in (["fp32", "fp16"] if d == "both" else [d]):
            if x not in dtypes:
                dtypes.append(x)
    if a.stream:
        if a.model:
            p.error("--stream is for real checkpoints (--gpt4roi, --clip, --tokenizer)")
        sys.exit(export_streaming(a, dtypes))
    if "int4" in dtypes:
        p.error("int4 without --stream: export fp32, then run python3 -m gpt4roi_ref.quantize --model OUT")
    model, tok, tok_dir = load_for_export(a)
    sys.exit(export_all(model, a.out, dtypes, tok, tok_dir, a.parity_dir, not a.no_parity))


if __name__ == "__main__":
    main()
