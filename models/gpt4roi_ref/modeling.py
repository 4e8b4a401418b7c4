"""PyTorch reference of GPT4RoI (jshilong/GPT4RoI), written for torch 1.13 without transformers/mmcv.

Parameter names follow the official checkpoints:
- `CLIPVisionTower.state_dict()` == HF `CLIPVisionModel` keys (`vision_model.*`);
- `GPT4RoIForCausalLM.state_dict()` == the merged GPT4RoI-7B keys (`model.*`, `lm_head.*`).
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align

from .config import GPT4RoIConfig, LlamaConfig, RegionConfig, VisionConfig

# --------------------------------------------------------------------------------------------
# CLIP vision tower
# --------------------------------------------------------------------------------------------


class CLIPEmbeddings(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(cfg.width) * 0.02)
        self.patch_embedding = nn.Conv2d(3, cfg.width, cfg.patch_size, cfg.patch_size, bias=False)
        self.position_embedding = nn.Embedding(cfg.num_patches + 1, cfg.width)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # B, 256, W (row-major)
        cls = self.class_embedding.to(patches.dtype).expand(patches.shape[0], 1, -1)
        x = torch.cat([cls, patches], dim=1)
        return x + self.position_embedding.weight.to(x.dtype).unsqueeze(0)


class CLIPAttention(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.heads = cfg.heads
        self.head_dim = cfg.width // cfg.heads
        self.q_proj = nn.Linear(cfg.width, cfg.width)
        self.k_proj = nn.Linear(cfg.width, cfg.width)
        self.v_proj = nn.Linear(cfg.width, cfg.width)
        self.out_proj = nn.Linear(cfg.width, cfg.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, w = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        att = torch.softmax((q * self.head_dim ** -0.5) @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((att @ v).transpose(1, 2).reshape(b, t, w))


class CLIPMLP(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.fc1 = nn.Linear(cfg.width, cfg.mlp_dim)
        self.fc2 = nn.Linear(cfg.mlp_dim, cfg.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))  # quick_gelu


class CLIPEncoderLayer(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.self_attn = CLIPAttention(cfg)
        self.layer_norm1 = nn.LayerNorm(cfg.width, eps=cfg.layer_norm_eps)
        self.mlp = CLIPMLP(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.width, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.layers = nn.ModuleList(CLIPEncoderLayer(cfg) for _ in range(cfg.layers))


class CLIPVisionTransformer(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.embeddings = CLIPEmbeddings(cfg)
        self.pre_layrnorm = nn.LayerNorm(cfg.width, eps=cfg.layer_norm_eps)  # (sic) HF spelling
        self.encoder = CLIPEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg.width, eps=cfg.layer_norm_eps)


class CLIPVisionTower(nn.Module):
    """HF CLIPVisionModel layout. Returns hidden_states up to the last one GPT4RoI reads."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.cfg = cfg
        self.vision_model = CLIPVisionTransformer(cfg)

    def hidden_states(self, pixels: torch.Tensor) -> List[torch.Tensor]:
        vm = self.vision_model
        x = vm.pre_layrnorm(vm.embeddings(pixels))
        states = [x]
        needed = max(self.cfg.select_layer % (self.cfg.layers + 1),
                     max(self.cfg.region_hidden_state_indices()))
        for layer in vm.encoder.layers[:needed]:
            x = layer(x)
            states.append(x)
        return states

    def forward(self, pixels: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """pixels [B,3,224,224] -> (image features [B,256,W], region level features 4 x [B,256,W])."""
        states = self.hidden_states(pixels)
        select = states[self.cfg.select_layer % (self.cfg.layers + 1)]
        levels = [states[i][:, 1:] for i in self.cfg.region_hidden_state_indices()]
        return select[:, 1:], levels


# --------------------------------------------------------------------------------------------
# Region module (MLVLROIQueryModule)
# --------------------------------------------------------------------------------------------


class ConvModule(nn.Module):
    """mmcv ConvModule(conv3x3 no bias, GN, ReLU); submodule names `conv` and `gn` as in mmcv."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.gn = nn.GroupNorm(groups, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.gn(self.conv(x)))


def coordinate_channels(batch: int, h: int, w: int, device, dtype) -> torch.Tensor:
    x_range = torch.linspace(-1, 1, w, device=device, dtype=dtype)
    y_range = torch.linspace(-1, 1, h, device=device, dtype=dtype)
    y = y_range.view(1, 1, h, 1).expand(batch, 1, h, w)
    x = x_range.view(1, 1, 1, w).expand(batch, 1, h, w)
    return torch.cat([x, y], dim=1)


class MLVLFuseModule(nn.Module):
    def __init__(self, input_dims: int, cfg: RegionConfig, num_levels: int):
        super().__init__()
        self.cfg = cfg
        self.num_levels = num_levels
        self.input_conv = nn.ModuleList(nn.Conv2d(input_dims + 2, cfg.width, 1) for _ in range(num_levels))
        self.fuse_convs = nn.ModuleList(ConvModule(cfg.width, cfg.group_norm_groups) for _ in range(cfg.num_fuse))

    def _shuffle(self, inputs: List[torch.Tensor], conv: ConvModule) -> List[torch.Tensor]:
        remain, shuffle = self.cfg.remain_channels, self.cfg.shuffle_channels
        fused = []
        for lvl in range(self.num_levels):
            top = inputs[min(lvl + 1, self.num_levels - 1)]
            down = inputs[max(lvl - 1, 0)]
            target = inputs[lvl]
            size = target.shape[-2:]
            from_top = F.interpolate(top[:, remain + shuffle:], size=size, mode="bilinear", align_corners=True)
            from_down = F.interpolate(down[:, remain:remain + shuffle], size=size, mode="bilinear",
                                      align_corners=True)
            fused.append(conv(torch.cat([target[:, :remain], from_top, from_down], dim=1)))
        return fused

    def forward(self, inputs: List[torch.Tensor]) -> List[torch.Tensor]:
        feats = []
        for lvl, feat in enumerate(inputs):
            b, _, h, w = feat.shape
            coords = coordinate_channels(b, h, w, feat.device, feat.dtype)
            feats.append(self.input_conv[lvl](torch.cat([feat, coords], dim=1)))
        for conv in self.fuse_convs:
            feats = self._shuffle(feats, conv)
        return feats


class MlvlRoIExtractor(nn.Module):
    """The per-box head. RoIAlign itself has no parameters and lives in `multi_level_roi_align`."""

    def __init__(self, cfg: RegionConfig, num_levels: int, out_dims: int):
        super().__init__()
        self.pconvs = nn.ModuleList(nn.Conv2d(cfg.width, cfg.width, 3, padding=1) for _ in range(num_levels))
        self.pos_embedd = nn.Sequential(
            nn.Linear(4, cfg.pos_hidden), nn.ReLU(inplace=True), nn.LayerNorm(cfg.pos_hidden),
            nn.Linear(cfg.pos_hidden, cfg.box_embed), nn.ReLU(inplace=True), nn.LayerNorm(cfg.box_embed))
        self.updims = nn.Linear(cfg.box_embed, out_dims)
        self.flatten_linear = nn.Linear(cfg.width * cfg.roi_size ** 2, cfg.box_embed)

    def forward(self, roi_feats: torch.Tensor, boxes_norm: torch.Tensor) -> torch.Tensor:
        """roi_feats [N, L, C, 14, 14]; boxes_norm [N, 4] in [0,1] -> [N, out_dims]."""
        fused = sum(conv(roi_feats[:, i]) for i, conv in enumerate(self.pconvs))
        x = self.flatten_linear(F.relu(fused).flatten(1))
        return self.updims(x + self.pos_embedd(boxes_norm))


class MLVLROIQueryModule(nn.Module):
    def __init__(self, cfg: GPT4RoIConfig):
        super().__init__()
        self.cfg = cfg
        n = cfg.vision.num_region_levels
        self.mlvl_fuse = MLVLFuseModule(cfg.vision.width, cfg.region, n)
        self.roi_align = MlvlRoIExtractor(cfg.region, n, cfg.llm.hidden)

    def fused_maps(self, levels: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """4 x [B,256,Wv] token features -> fused maps [B,C,S,S] with S = 128, 64, 32, 16."""
        g = self.cfg.vision.grid
        maps = []
        for feat, size in zip(levels, self.cfg.feature_map_sizes):
            b, _, c = feat.shape
            m = feat.reshape(b, g, g, c).permute(0, 3, 1, 2)
            maps.append(F.interpolate(m, size=(size, size), mode="bilinear", align_corners=True))
        return self.mlvl_fuse(maps)


def multi_level_roi_align(maps: Sequence[torch.Tensor], boxes_norm: torch.Tensor, batch_index: torch.Tensor,
                          cfg: GPT4RoIConfig) -> torch.Tensor:
    """mmcv RoIAlign (aligned, avg, 14x14, sampling 2) on every level -> [N, L, C, 14, 14]."""
    rois = torch.cat([batch_index.to(boxes_norm.dtype)[:, None], boxes_norm * cfg.vision.image_size], dim=1)
    out = [roi_align(m, rois, output_size=cfg.region.roi_size, spatial_scale=1.0 / stride,
                     sampling_ratio=cfg.region.sampling_ratio, aligned=True)
           for m, stride in zip(maps, cfg.feature_strides)]
    return torch.stack(out, dim=1)


# --------------------------------------------------------------------------------------------
# LLaMA decoder
# --------------------------------------------------------------------------------------------


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Variance in fp32 as HF LLaMA does, so the fp16 export does not overflow.
        var = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(var + self.eps).to(x.dtype)
        return self.weight * x


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.heads = cfg.heads
        self.head_dim = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden, cfg.hidden, bias=False)
        self.k_proj = nn.Linear(cfg.hidden, cfg.hidden, bias=False)
        self.v_proj = nn.Linear(cfg.hidden, cfg.hidden, bias=False)
        self.o_proj = nn.Linear(cfg.hidden, cfg.hidden, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v, write_index=None):
        """past_k/past_v [B, heads, P, head_dim]: with write_index None the new keys/values are appended (the result
        covers P+T positions); with write_index [B, heads, T, head_dim] (each token's cache slot) they are written
        into the cache at those slots (a fixed-capacity cache: the result has the cache's P slots)."""
        b, t, h = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if write_index is not None:
            k = past_k.scatter(2, write_index, k)
            v = past_v.scatter(2, write_index, v)
        elif past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = torch.where(mask, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
        att = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        out = (att @ v).transpose(1, 2).reshape(b, t, h)
        return self.o_proj(out), k, v


class LlamaMLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.up_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg.hidden, cfg.rms_norm_eps)
        self.post_attention_layernorm = LlamaRMSNorm(cfg.hidden, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past_k, past_v, write_index=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v, write_index)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class GPT4RoIModel(nn.Module):
    """`model.*` of the checkpoint: LLaMA body + mm_projector + spi_module."""

    def __init__(self, cfg: GPT4RoIConfig):
        super().__init__()
        self.cfg = cfg
        llm = cfg.llm
        self.embed_tokens = nn.Embedding(llm.vocab_size, llm.hidden)
        self.layers = nn.ModuleList(LlamaDecoderLayer(llm) for _ in range(llm.layers))
        self.norm = LlamaRMSNorm(llm.hidden, llm.rms_norm_eps)
        self.mm_projector = nn.Linear(cfg.vision.width, llm.hidden)
        self.spi_module = MLVLROIQueryModule(cfg)
        inv_freq = 1.0 / (llm.rope_theta ** (torch.arange(0, llm.head_dim, 2).float() / llm.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)


class GPT4RoIForCausalLM(nn.Module):
    def __init__(self, cfg: GPT4RoIConfig):
        super().__init__()
        self.cfg = cfg
        self.model = GPT4RoIModel(cfg)
        self.lm_head = nn.Linear(cfg.llm.hidden, cfg.llm.vocab_size, bias=False)

    def rotary(self, position_ids: torch.Tensor, dtype: torch.dtype):
        """cos, sin [B, 1, T, head_dim] for the given positions."""
        freqs = position_ids.to(torch.float32)[..., None] * self.model.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos().to(dtype)[:, None], emb.sin().to(dtype)[:, None]

    def decode(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
               past: Optional[List[Tuple[torch.Tensor, torch.Tensor]]] = None):
        """One decoder call. attention_mask [B, P+T] (1 = attend), position_ids [B, T].

        Returns logits [B,T,V] and the present key/values (each [B, heads, P+T, head_dim]).
        """
        t = inputs_embeds.shape[1]
        total = attention_mask.shape[1]
        past_len = total - t
        cos, sin = self.rotary(position_ids, inputs_embeds.dtype)
        key_pos = torch.arange(total, device=inputs_embeds.device)[None, :]
        query_pos = torch.arange(t, device=inputs_embeds.device)[:, None] + past_len
        mask = (key_pos <= query_pos)[None, None] & attention_mask.bool()[:, None, None, :]
        x = inputs_embeds
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = layer(x, cos, sin, mask, pk, pv)
            presents.append((k, v))
        x = self.model.norm(x)
        return self.lm_head(x), presents

    def decode_cached(self, inputs_embeds: torch.Tensor, position_ids: torch.Tensor,
                      cache: List[Tuple[torch.Tensor, torch.Tensor]]):
        """One decoder call over a fixed-capacity key/value cache (each [B, heads, C, head_dim]).

        A sequence's token at position p lives in cache slot p: the T new tokens' keys/values are written at their
        positions, and a token at position p attends to slots 0..p. Slots past a sequence's last position may hold
        anything (an earlier, longer turn); they are never attended to. Returns logits [B,T,V] and the updated caches.
        """
        b, t, _ = inputs_embeds.shape
        cap = cache[0][0].shape[2]
        heads, head_dim = cache[0][0].shape[1], cache[0][0].shape[3]
        cos, sin = self.rotary(position_ids, inputs_embeds.dtype)
        slots = torch.arange(cap, device=inputs_embeds.device)[None, None, None, :]
        mask = slots <= position_ids[:, None, :, None]
        write_index = position_ids[:, None, :, None].expand(b, heads, t, head_dim)
        x = inputs_embeds
        updated = []
        for i, layer in enumerate(self.model.layers):
            ck, cv = cache[i]
            x, k, v = layer(x, cos, sin, mask, ck, cv, write_index)
            updated.append((k, v))
        x = self.model.norm(x)
        return self.lm_head(x), updated


# --------------------------------------------------------------------------------------------
# The whole pipeline
# --------------------------------------------------------------------------------------------


class GPT4RoI(nn.Module):
    """Vision tower (kept apart, as the official code does) + the causal LM."""

    def __init__(self, cfg: GPT4RoIConfig):
        super().__init__()
        self.cfg = cfg
        self.vision_tower = CLIPVisionTower(cfg.vision)
        self.lm = GPT4RoIForCausalLM(cfg)

    # Image-only stages: computed once per image and reusable for every box and turn.
    def encode_image(self, pixels: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """pixels [B,3,224,224] -> image tokens [B,256,H] and fused maps 4 x [B,C,S,S]."""
        feats, levels = self.vision_tower(pixels)
        tokens = self.lm.model.mm_projector(feats)
        maps = self.lm.model.spi_module.fused_maps(levels)
        return tokens, maps

    def region_embeddings(self, maps: Sequence[torch.Tensor], boxes_norm: torch.Tensor,
                          batch_index: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """-> (RoIAlign output [N,L,C,14,14], region embeddings [N,H])."""
        rois = multi_level_roi_align(maps, boxes_norm, batch_index, self.cfg)
        return rois, self.lm.model.spi_module.roi_align(rois, boxes_norm)

    def splice(self, input_ids: torch.Tensor, image_tokens: torch.Tensor, region_embeds: Sequence[torch.Tensor]):
        """Token embeddings with the <im_patch> run and each <bbox> replaced, in order, per sequence."""
        ids = self.cfg.added_token_ids()
        embeds = self.lm.model.embed_tokens(input_ids)
        patch_mask = input_ids == ids["<im_patch>"]
        bbox_mask = input_ids == ids["<bbox>"]
        out = []
        for b in range(input_ids.shape[0]):
            e = embeds[b]
            npatch = int(patch_mask[b].sum())
            if npatch:
                if npatch != image_tokens.shape[1]:
                    raise ValueError(f"sequence {b} has {npatch} <im_patch> tokens, expected {image_tokens.shape[1]}")
                e = e.masked_scatter(patch_mask[b][:, None], image_tokens[b].to(e.dtype))
            nbox = int(bbox_mask[b].sum())
            if nbox != (0 if region_embeds is None else region_embeds[b].shape[0]):
                raise ValueError(f"sequence {b} has {nbox} <bbox> tokens but "
                                 f"{0 if region_embeds is None else region_embeds[b].shape[0]} regions")
            if nbox:
                e = e.masked_scatter(bbox_mask[b][:, None], region_embeds[b].to(e.dtype))
            out.append(e)
        return torch.stack(out)


def init_weights(model: nn.Module, std: float = 0.02) -> None:
    """Deterministic fresh init for the tiny model (the official model starts from pretrained weights)."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)
