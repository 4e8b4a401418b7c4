"""Reading and writing checkpoints in the official key layouts.

- GPT4RoI (merged delta): HF LLaMA keys `model.*` / `lm_head.weight` plus `model.mm_projector.*` and
  `model.spi_module.*`, as sharded `pytorch_model-*.bin` with `pytorch_model.bin.index.json`, a single
  `pytorch_model.bin`, or the same with `.safetensors`.
- CLIP (`openai/clip-vit-large-patch14`): a full CLIPModel or CLIPVisionModel checkpoint; only the
  `vision_model.*` keys are used.

Keys that old transformers versions saved but that are derived buffers (`rotary_emb.inv_freq`,
`embeddings.position_ids`) are dropped before the strict load; nothing else is.
"""
from __future__ import annotations

import json
import os
import re
import struct
from typing import Dict, Iterable, Optional

import numpy as np
import torch

from .modeling import GPT4RoI

State = Dict[str, torch.Tensor]

_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
              "BF16": None}
_ST_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32",
             torch.uint8: "U8", torch.bfloat16: "BF16"}

DERIVED_KEYS = (re.compile(r"^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$"),
                re.compile(r"^vision_model\.embeddings\.position_ids$"))


def read_safetensors(path: str, names: Optional[Iterable[str]] = None) -> State:
    """Minimal safetensors reader (no dependency): 8-byte header length, JSON header, raw data.
    With `names`, only those tensors are read."""
    wanted = set(names) if names is not None else None
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        out: State = {}
        for name, info in header.items():
            if name == "__metadata__" or (wanted is not None and name not in wanted):
                continue
            start, end = info["data_offsets"]
            f.seek(base + start)
            raw = f.read(end - start)
            if info["dtype"] == "BF16":
                u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                t = torch.from_numpy(u16.view(np.float32).copy()).to(torch.bfloat16)
            else:
                t = torch.from_numpy(np.frombuffer(raw, dtype=np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")).copy())
            out[name] = t.reshape(info["shape"])
    return out


def write_safetensors(path: str, state: State, metadata: Optional[Dict[str, str]] = None) -> None:
    header: Dict[str, object] = {}
    blobs = []
    offset = 0
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            raw = (t.view(torch.int16).numpy().astype("<i2")).tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def _read_any(path: str) -> State:
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    return torch.load(path, map_location="cpu")


def read_checkpoint(path: str) -> State:
    """A file, or a folder holding an index (sharded) or a single weights file."""
    if os.path.isfile(path):
        return _read_any(path)
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index = os.path.join(path, index_name)
        if os.path.exists(index):
            with open(index, encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
            state: State = {}
            for shard in sorted(set(weight_map.values())):
                state.update(_read_any(os.path.join(path, shard)))
            missing = set(weight_map) - set(state)
            if missing:
                raise ValueError(f"{index}: {len(missing)} indexed tensors absent from the shards, e.g. {sorted(missing)[:3]}")
            return state
    for single in ("model.safetensors", "pytorch_model.bin"):
        p = os.path.join(path, single)
        if os.path.exists(p):
            return _read_any(p)
    raise FileNotFoundError(f"{path}: no model.safetensors[.index.json] or pytorch_model.bin[.index.json] found")


def drop_derived(state: State) -> State:
    return {k: v for k, v in state.items() if not any(p.match(k) for p in DERIVED_KEYS)}


def gpt4roi_part(state: State) -> State:
    """The LLM + projector + region module keys (drops a stray vision tower, if a checkpoint holds one)."""
    return {k: v for k, v in drop_derived(state).items() if not k.startswith("model.vision_tower.")}


def clip_vision_part(state: State) -> State:
    return {k: v for k, v in drop_derived(state).items() if k.startswith("vision_model.")}


def load_official(model: GPT4RoI, gpt4roi_path: str, clip_path: str, dtype: torch.dtype = torch.float32) -> None:
    """Load both official checkpoints with strict=True; raise on any missing or unexpected key."""
    lm_state = {k: v.to(dtype) for k, v in gpt4roi_part(read_checkpoint(gpt4roi_path)).items()}
    vision_state = {k: v.to(dtype) for k, v in clip_vision_part(read_checkpoint(clip_path)).items()}
    model.lm.load_state_dict(lm_state, strict=True)
    model.vision_tower.load_state_dict(vision_state, strict=True)


def save_official(model: GPT4RoI, gpt4roi_path: str, clip_path: str, dtype: torch.dtype = torch.float32) -> None:
    """The reverse: write the two checkpoints in the official layouts (as single safetensors files)."""
    write_safetensors(gpt4roi_path, {k: v.to(dtype) for k, v in model.lm.state_dict().items()})
    write_safetensors(clip_path, {k: v.to(dtype) for k, v in model.vision_tower.state_dict().items()})


def added_token_ids(tokenizer_dir: Optional[str], base_vocab: int, names: Iterable[str]) -> Dict[str, int]:
    """Ids of the added tokens: from the checkpoint's added_tokens.json when it has one (the ids the
    weights were trained with), else the demo's order after the base vocabulary."""
    names = list(names)
    if tokenizer_dir:
        p = os.path.join(tokenizer_dir, "added_tokens.json")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                found = json.load(f)
            missing = [n for n in names if n not in found]
            if missing:
                raise ValueError(f"{p} lacks {missing}")
            return {n: int(found[n]) for n in names}
    return {n: base_vocab + i for i, n in enumerate(names)}


def _token_text(v) -> str:
    """special_tokens_map.json values are strings or AddedToken dicts ({"content": ...})."""
    return v["content"] if isinstance(v, dict) else str(v)


def tokenizer_files(tokenizer_dir: Optional[str]) -> Dict[str, object]:
    """added_tokens.json (name -> id) and special_tokens_map.json (bos/eos/unk/pad strings) of a HF
    tokenizer folder; absent files give None."""
    out: Dict[str, object] = {"added_tokens": None, "special_tokens": None}
    if not tokenizer_dir:
        return out
    p = os.path.join(tokenizer_dir, "added_tokens.json")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            out["added_tokens"] = {k: int(v) for k, v in json.load(f).items()}
    p = os.path.join(tokenizer_dir, "special_tokens_map.json")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            m = json.load(f)
        out["special_tokens"] = {k: _token_text(v) for k, v in m.items()
                                 if k in ("bos_token", "eos_token", "unk_token", "pad_token") and v}
    return out


def config_from_checkpoint(cfg, gpt4roi_dir: str, vocab_rows: Optional[int] = None):
    """The preset adjusted to a real checkpoint folder: LLaMA sizes and mm_vision_select_layer from
    config.json, the vocabulary from the embedding's rows (vocab_rows) or config.json, the added-token ids
    from added_tokens.json and the special tokens from special_tokens_map.json."""
    import copy
    cfg = copy.deepcopy(cfg)
    p = os.path.join(gpt4roi_dir, "config.json") if os.path.isdir(gpt4roi_dir) else None
    if p and os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            c = json.load(f)
        llm = cfg.llm
        llm.vocab_size = int(c.get("vocab_size", llm.vocab_size))
        llm.hidden = int(c.get("hidden_size", llm.hidden))
        llm.layers = int(c.get("num_hidden_layers", llm.layers))
        llm.heads = int(c.get("num_attention_heads", llm.heads))
        llm.intermediate = int(c.get("intermediate_size", llm.intermediate))
        llm.rms_norm_eps = float(c.get("rms_norm_eps", llm.rms_norm_eps))
        llm.max_positions = int(c.get("max_position_embeddings", llm.max_positions))
        if "mm_vision_select_layer" in c:
            cfg.vision.select_layer = int(c["mm_vision_select_layer"])
        if c.get("mm_use_im_start_end") is False:
            raise ValueError(f"{p}: mm_use_im_start_end is false; GPT4RoI's prompt needs <im_start>/<im_end>")
    if vocab_rows is not None:
        cfg.llm.vocab_size = int(vocab_rows)
    files = tokenizer_files(gpt4roi_dir if os.path.isdir(gpt4roi_dir) else os.path.dirname(gpt4roi_dir))
    if files["added_tokens"] is not None:
        cfg.added_tokens = files["added_tokens"]
    if files["special_tokens"] is not None:
        cfg.special_tokens = files["special_tokens"]
    too_big = {k: v for k, v in cfg.added_token_ids().items() if v >= cfg.llm.vocab_size}
    if too_big:
        raise ValueError(f"added token ids {too_big} do not fit the {cfg.llm.vocab_size}-row embedding")
    return cfg


class LazyCheckpoint:
    """Tensors of a (sharded) checkpoint read on demand: a safetensors tensor alone, a .bin shard whole
    (the last one kept), so streaming an export needs about one shard of RAM, not the model."""

    def __init__(self, path: str):
        self.path = path
        self.weight_map: Dict[str, str] = {}
        if os.path.isfile(path):
            self.weight_map = {k: os.path.basename(path) for k in _read_any(path)} if not path.endswith(
                ".safetensors") else {k: os.path.basename(path) for k in _safetensors_header(path)}
            self.folder = os.path.dirname(path)
        else:
            self.folder = path
            for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
                p = os.path.join(path, index_name)
                if os.path.exists(p):
                    with open(p, encoding="utf-8") as f:
                        self.weight_map = json.load(f)["weight_map"]
                    break
            else:
                for single in ("model.safetensors", "pytorch_model.bin"):
                    p = os.path.join(path, single)
                    if os.path.exists(p):
                        names = _safetensors_header(p) if single.endswith(".safetensors") else _read_any(p)
                        self.weight_map = {k: single for k in names}
                        break
        if not self.weight_map:
            raise FileNotFoundError(f"{path}: no checkpoint found")
        self._shard_name: Optional[str] = None
        self._shard: State = {}

    def keys(self):
        return self.weight_map.keys()

    def __getitem__(self, name: str) -> torch.Tensor:
        shard = self.weight_map[name]
        p = os.path.join(self.folder, shard)
        if shard.endswith(".safetensors"):
            return read_safetensors(p, names=[name])[name]
        if shard != self._shard_name:
            self._shard, self._shard_name = {}, None
            self._shard = torch.load(p, map_location="cpu")
            self._shard_name = shard
        return self._shard[name]


def _safetensors_header(path: str) -> Dict[str, dict]:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return header
