"""The LLaMA decoder graph written directly with onnx.helper, one layer at a time.

Why: torch.onnx.export of a 7B decoder holds the whole model and a serialised copy in RAM (about 2x its
size, 27 GB in fp16 on a 24 GB machine). This builder emits the same graph as `export.KvDecoderGraph`
(same inputs, outputs, layouts and arithmetic as `modeling.GPT4RoIForCausalLM.decode_cached`: a decoder over a
fixed-capacity key/value cache that writes the new tokens' rows at their positions) and streams every weight
straight into one external-data file, so its peak memory is about one weight matrix.

Weights come from a callback `weight(name) -> float32 ndarray` in the official state-dict layout
(`model.layers.N.self_attn.q_proj.weight` [out, in], ...): a real checkpoint, the tiny model, or random
values for a shape-only export.

Variants:
- dtype float32 / float16: MatMul on [in, out] weights of that type;
- int4: every projection and lm_head as com.microsoft MatMulNBits (bits 4, asymmetric, block_size along K),
  activations float32. Packing follows ONNX Runtime's contrib op spec and its weight-only quantiser:
  B uint8 [N, k_blocks, block_size / 2], two 4-bit values per byte along K, the first in the low nibble;
  scales float [N * k_blocks]; zero_points uint8 [N * ceil(k_blocks / 2)], packed the same way;
  weight = (q - zero_point) * scale.
"""
from __future__ import annotations

import math
import os
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .config import GPT4RoIConfig

OPSET = 17
MS_DOMAIN = "com.microsoft"
ALIGN = 65536  # external-data offsets on a 64 KiB boundary, so ONNX Runtime can map them

WeightFn = Callable[[str], np.ndarray]
# (onnx.helper.np_dtype_to_tensor_dtype is not in onnx 1.12; onnx.mapping is gone from newer releases.)
NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
              np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int64): TensorProto.INT64}


def quantize_int4(w: np.ndarray, block_size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """w [N, K] (torch Linear layout: one row per output) -> (B [N, k_blocks, block_size/2] uint8,
    scales [N * k_blocks] float32, zero_points [N * ceil(k_blocks/2)] uint8).

    Asymmetric round-to-nearest per block of K, the range widened to include 0 (as ONNX Runtime's
    default weight-only quantiser does): scale = (max - min) / 15, zp = round(-min / scale)."""
    n, k = w.shape
    kb = (k + block_size - 1) // block_size
    pad = kb * block_size - k
    w = w.astype(np.float32, copy=False)
    if pad:
        w = np.pad(w, ((0, 0), (0, pad)))
    blocks = w.reshape(n, kb, block_size)
    vmin = np.minimum(blocks.min(axis=2), 0.0)
    vmax = np.maximum(blocks.max(axis=2), 0.0)
    scale = (vmax - vmin) / 15.0
    safe = np.where(scale == 0, 1.0, scale)
    zp = np.where(scale == 0, 8.0, np.clip(np.round(-vmin / safe), 0, 15)).astype(np.uint8)
    q = np.clip(np.round(blocks / safe[:, :, None] + zp[:, :, None]), 0, 15).astype(np.uint8)
    q = np.where(scale[:, :, None] == 0, np.uint8(8), q)
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    zp_rows = zp if kb % 2 == 0 else np.concatenate([zp, np.full((n, 1), 8, np.uint8)], axis=1)
    zp_packed = (zp_rows[:, 0::2] | (zp_rows[:, 1::2] << 4)).astype(np.uint8)
    return packed, scale.astype(np.float32).reshape(-1), zp_packed.reshape(-1)


def dequantize_int4(packed: np.ndarray, scales: np.ndarray, zps: np.ndarray, k: int) -> np.ndarray:
    """Inverse of quantize_int4 -> [N, K] float32 (what MatMulNBits multiplies by)."""
    n, kb, half = packed.shape
    q = np.empty((n, kb, half * 2), np.float32)
    q[:, :, 0::2] = packed & 0x0F
    q[:, :, 1::2] = packed >> 4
    zp_bytes = zps.reshape(n, -1)
    zp = np.empty((n, zp_bytes.shape[1] * 2), np.float32)
    zp[:, 0::2] = zp_bytes & 0x0F
    zp[:, 1::2] = zp_bytes >> 4
    zp = zp[:, :kb]
    w = (q - zp[:, :, None]) * scales.reshape(n, kb)[:, :, None]
    return w.reshape(n, kb * half * 2)[:, :k]


class ExternalData:
    """Appends tensors to one external-data file and returns TensorProtos that point into it."""

    def __init__(self, path: str):
        self.path = path
        self.location = os.path.basename(path)
        self.f = open(path, "wb")
        self.offset = 0

    def add(self, name: str, arr: np.ndarray) -> TensorProto:
        arr = np.ascontiguousarray(arr)
        if self.offset % ALIGN:
            pad = ALIGN - self.offset % ALIGN
            self.f.write(b"\0" * pad)
            self.offset += pad
        raw = arr.tobytes()
        self.f.write(raw)
        t = TensorProto()
        t.name = name
        t.data_type = NP_TO_ONNX[np.dtype(arr.dtype)]
        t.dims.extend(arr.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(self.offset)), ("length", str(len(raw)))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.offset += len(raw)
        return t

    def close(self) -> None:
        self.f.close()


class DecoderBuilder:
    def __init__(self, cfg: GPT4RoIConfig, weight: WeightFn, path: str, variant: str = "fp16",
                 block_size: int = 32, external: bool = True, progress: Optional[Callable[[str], None]] = None):
        if variant not in ("fp32", "fp16", "int4"):
            raise ValueError(f"variant must be fp32, fp16 or int4, not {variant}")
        self.cfg = cfg
        self.weight = weight
        self.path = path
        self.variant = variant
        self.block_size = block_size
        self.T = TensorProto.FLOAT16 if variant == "fp16" else TensorProto.FLOAT
        self.np_t = np.float16 if variant == "fp16" else np.float32
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[TensorProto] = []
        self.ext = ExternalData(path + ".data") if external else None
        self.progress = progress or (lambda s: None)
        self._n = 0

    # ---- helpers -------------------------------------------------------------------------------
    def _name(self, base: str) -> str:
        self._n += 1
        return f"{base}_{self._n}"

    def op(self, op_type: str, inputs: List[str], out: Optional[str] = None, domain: str = "", **attrs) -> str:
        out = out or self._name(op_type)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self._name("n_" + op_type),
                                           domain=domain or None, **attrs))
        return out

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def big(self, name: str, arr: np.ndarray) -> str:
        if self.ext is not None and arr.nbytes >= 1024:
            self.inits.append(self.ext.add(name, arr))
        else:
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def linear(self, x: str, wname: str) -> str:
        w = self.weight(wname)  # [out, in] float32
        n, k = w.shape
        base = wname[:-len(".weight")]
        if self.variant == "int4":
            packed, scales, zps = quantize_int4(w, self.block_size)
            b = self.big(base + ".qweight", packed)
            s = self.big(base + ".scales", scales)
            z = self.big(base + ".zero_points", zps)
            return self.op("MatMulNBits", [x, b, s, z], domain=MS_DOMAIN, K=k, N=n, bits=4,
                           block_size=self.block_size)
        wt = self.big(base + ".weight_t", np.ascontiguousarray(w.T).astype(self.np_t))
        return self.op("MatMul", [x, wt])

    def rms_norm(self, x: str, wname: str) -> str:
        eps = self.cfg.llm.rms_norm_eps
        xf = self.op("Cast", [x], to=TensorProto.FLOAT) if self.T != TensorProto.FLOAT else x
        var = self.op("ReduceMean", [self.op("Mul", [xf, xf])], axes=[-1], keepdims=1)
        r = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [var, "c_eps"])])])
        if self.T != TensorProto.FLOAT:
            r = self.op("Cast", [r], to=self.T)
        w = self.const(wname, self.weight(wname).astype(self.np_t))
        return self.op("Mul", [w, self.op("Mul", [x, r])])

    # ---- the graph -----------------------------------------------------------------------------
    def build(self) -> onnx.ModelProto:
        cfg, llm = self.cfg, self.cfg.llm
        heads, hd, hidden = llm.heads, llm.head_dim, llm.hidden
        T = self.T
        inputs = [helper.make_tensor_value_info("inputs_embeds", T, ["batch", "sequence", hidden]),
                  helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"])]
        outputs = [helper.make_tensor_value_info("logits", T, ["batch", "sequence", llm.vocab_size])]
        for i in range(llm.layers):
            for kv in ("key", "value"):
                inputs.append(helper.make_tensor_value_info(f"cache.{i}.{kv}", T, ["batch", heads, "capacity", hd]))
                outputs.append(helper.make_tensor_value_info(f"cache_out.{i}.{kv}", T, ["batch", heads, "capacity", hd]))
        self.const("c_eps", np.array(llm.rms_norm_eps, np.float32))
        inv_freq = 1.0 / (llm.rope_theta ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
        self.const("c_inv_freq", inv_freq.astype(np.float32))
        self.const("c_ax1", np.array([1], np.int64))
        self.const("c_ax2", np.array([2], np.int64))
        self.const("c_ax13", np.array([1, 3], np.int64))
        self.const("c_ax012", np.array([0, 1, 2], np.int64))
        self.const("c_zero", np.array(0, np.int64))
        self.const("c_one", np.array(1, np.int64))
        self.const("c_heads_shape", np.array([0, 0, heads, hd], np.int64))
        self.const("c_hidden_shape", np.array([0, 0, hidden], np.int64))
        self.const("c_half_s", np.array([0], np.int64))
        self.const("c_half_m", np.array([hd // 2], np.int64))
        self.const("c_half_e", np.array([hd], np.int64))
        self.const("c_ax3", np.array([3], np.int64))
        self.const("c_sqrt_hd", np.array(math.sqrt(hd), self.np_t))
        fill = np.finfo(np.float16).min if T == TensorProto.FLOAT16 else np.finfo(np.float32).min
        self.const("c_fill", np.array(fill, self.np_t))

        # rotary tables [B, 1, T, hd]
        pos = self.op("Cast", ["position_ids"], to=TensorProto.FLOAT)
        freqs = self.op("Mul", [self.op("Unsqueeze", [pos, "c_ax2"]), "c_inv_freq"])
        emb = self.op("Concat", [freqs, freqs], axis=-1)
        cos, sin = self.op("Cos", [emb]), self.op("Sin", [emb])
        if T != TensorProto.FLOAT:
            cos, sin = self.op("Cast", [cos], to=T), self.op("Cast", [sin], to=T)
        cos, sin = self.op("Unsqueeze", [cos, "c_ax1"]), self.op("Unsqueeze", [sin, "c_ax1"])

        # mask [B, 1, T, C]: a token at position p attends to cache slots 0..p
        capacity = self.op("Gather", [self.op("Shape", ["cache.0.key"]), "c_ax2"], axis=0)
        slots = self.op("Unsqueeze", [self.op("Range", ["c_zero", self.op("Squeeze", [capacity]), "c_one"]), "c_ax012"])
        pos4 = self.op("Unsqueeze", ["position_ids", "c_ax13"])
        mask = self.op("LessOrEqual", [slots, pos4])

        def rope(x: str) -> str:
            x1 = self.op("Slice", [x, "c_half_s", "c_half_m", "c_ax3"])
            x2 = self.op("Slice", [x, "c_half_m", "c_half_e", "c_ax3"])
            rot = self.op("Concat", [self.op("Neg", [x2]), x1], axis=3)
            return self.op("Add", [self.op("Mul", [x, cos]), self.op("Mul", [rot, sin])])

        def heads_first(x: str) -> str:
            return self.op("Transpose", [self.op("Reshape", [x, "c_heads_shape"])], perm=[0, 2, 1, 3])

        x = "inputs_embeds"
        for i in range(llm.layers):
            p = f"model.layers.{i}."
            h = self.rms_norm(x, p + "input_layernorm.weight")
            q = rope(heads_first(self.linear(h, p + "self_attn.q_proj.weight")))
            k = rope(heads_first(self.linear(h, p + "self_attn.k_proj.weight")))
            v = heads_first(self.linear(h, p + "self_attn.v_proj.weight"))
            # the new rows go into the cache at their positions (in place when the caller binds input and output
            # to one buffer)
            index = self.op("Expand", [pos4, self.op("Shape", [k])])
            k = self.op("ScatterElements", [f"cache.{i}.key", index, k], f"cache_out.{i}.key", axis=2)
            v = self.op("ScatterElements", [f"cache.{i}.value", index, v], f"cache_out.{i}.value", axis=2)
            scores = self.op("Div", [self.op("MatMul", [q, self.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                                     "c_sqrt_hd"])
            scores = self.op("Where", [mask, scores, "c_fill"])
            if T != TensorProto.FLOAT:
                scores = self.op("Cast", [scores], to=TensorProto.FLOAT)
            att = self.op("Softmax", [scores], axis=-1)
            if T != TensorProto.FLOAT:
                att = self.op("Cast", [att], to=T)
            o = self.op("Reshape", [self.op("Transpose", [self.op("MatMul", [att, v])], perm=[0, 2, 1, 3]),
                                    "c_hidden_shape"])
            x = self.op("Add", [x, self.linear(o, p + "self_attn.o_proj.weight")])
            h = self.rms_norm(x, p + "post_attention_layernorm.weight")
            g = self.linear(h, p + "mlp.gate_proj.weight")
            u = self.linear(h, p + "mlp.up_proj.weight")
            a = self.op("Mul", [self.op("Mul", [g, self.op("Sigmoid", [g])]), u])
            x = self.op("Add", [x, self.linear(a, p + "mlp.down_proj.weight")])
            self.progress(f"layer {i + 1}/{llm.layers}")
        x = self.rms_norm(x, "model.norm.weight")
        self.linear_to(x, "lm_head.weight", "logits")
        graph = helper.make_graph(self.nodes, f"{cfg.name}-decoder-{self.variant}", inputs, outputs, self.inits)
        opsets = [helper.make_opsetid("", OPSET)]
        if self.variant == "int4":
            opsets.append(helper.make_opsetid(MS_DOMAIN, 1))
        model = helper.make_model(graph, opset_imports=opsets, producer_name="gpt4roi_ref.decoder_builder")
        model.ir_version = 8
        return model

    def linear_to(self, x: str, wname: str, out: str) -> None:
        y = self.linear(x, wname)
        self.nodes[-1].output[0] = out
        del y

    def save(self) -> Dict[str, int]:
        model = self.build()
        if self.ext is not None:
            self.ext.close()
        onnx.save_model(model, self.path)
        onnx.checker.check_model(self.path)
        sizes = {os.path.basename(self.path): os.path.getsize(self.path)}
        if self.ext is not None:
            sizes[os.path.basename(self.ext.path)] = os.path.getsize(self.ext.path)
        return sizes


def build_decoder(cfg: GPT4RoIConfig, weight: WeightFn, path: str, variant: str, block_size: int = 32,
                  external: bool = True, progress=None) -> Dict[str, int]:
    return DecoderBuilder(cfg, weight, path, variant, block_size, external, progress).save()


def state_dict_weights(state: Dict[str, "object"]) -> WeightFn:
    """A weight callback over a torch state dict (any float dtype) -> float32 ndarrays."""
    def get(name: str) -> np.ndarray:
        return state[name].detach().to("cpu").float().numpy()
    return get


def random_weights(cfg: GPT4RoIConfig, seed: int = 0, std: float = 0.02) -> WeightFn:
    """Deterministic random weights for a shape-only export: N(0, std) matrices, norms of ones."""
    def get(name: str) -> np.ndarray:
        llm = cfg.llm
        if name.endswith("layernorm.weight") or name == "model.norm.weight":
            return np.ones(llm.hidden, np.float32)
        shape = _shape(cfg, name)
        h = (seed * 1_000_003 + sum(ord(c) * (i + 1) for i, c in enumerate(name))) % (2 ** 32)
        rng = np.random.default_rng(h)
        out = rng.standard_normal(shape, dtype=np.float32)
        out *= std
        return out
    return get


def _shape(cfg: GPT4RoIConfig, name: str) -> Tuple[int, int]:
    llm = cfg.llm
    if name == "lm_head.weight" or name == "model.embed_tokens.weight":
        return llm.vocab_size, llm.hidden
    if "mlp.down_proj" in name:
        return llm.hidden, llm.intermediate
    if "mlp.gate_proj" in name or "mlp.up_proj" in name:
        return llm.intermediate, llm.hidden
    return llm.hidden, llm.hidden
