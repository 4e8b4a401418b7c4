"""The official key layouts load with strict=True."""
import json
import os
import re

import pytest
import torch

from gpt4roi_ref.checkpoint import load_official, read_checkpoint, write_safetensors
from gpt4roi_ref.config import GPT4RoIConfig, LlamaConfig, RegionConfig, VisionConfig, seven_b
from gpt4roi_ref.modeling import GPT4RoI


def seven_b_layout() -> GPT4RoIConfig:
    """7B key layout (32 LLaMA layers, 24 CLIP layers, 4 levels, 5 fuse convs) at toy widths."""
    return GPT4RoIConfig(
        name="fake-7b-layout",
        vision=VisionConfig(width=16, layers=24, heads=2, mlp_dim=32),
        region=RegionConfig(width=16, group_norm_groups=4, pos_hidden=8, box_embed=16),
        llm=LlamaConfig(vocab_size=40, hidden=16, layers=32, heads=2, intermediate=24),
        base_vocab_size=35)


# Names copied from the official code (spi_llava.py, layers.py, HF LLaMA and CLIP).
OFFICIAL_KEYS = [
    "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
    "model.layers.31.self_attn.q_proj.weight", "model.layers.0.self_attn.o_proj.weight",
    "model.layers.7.mlp.gate_proj.weight", "model.layers.7.mlp.up_proj.weight", "model.layers.7.mlp.down_proj.weight",
    "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
    "model.mm_projector.weight", "model.mm_projector.bias",
    "model.spi_module.mlvl_fuse.input_conv.3.weight", "model.spi_module.mlvl_fuse.fuse_convs.4.conv.weight",
    "model.spi_module.mlvl_fuse.fuse_convs.4.gn.weight", "model.spi_module.mlvl_fuse.fuse_convs.4.gn.bias",
    "model.spi_module.roi_align.pconvs.3.weight", "model.spi_module.roi_align.pos_embedd.0.weight",
    "model.spi_module.roi_align.pos_embedd.5.bias", "model.spi_module.roi_align.updims.weight",
    "model.spi_module.roi_align.flatten_linear.weight",
]
OFFICIAL_CLIP_KEYS = [
    "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
    "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
    "vision_model.encoder.layers.23.self_attn.k_proj.bias", "vision_model.encoder.layers.0.mlp.fc1.weight",
    "vision_model.encoder.layers.0.layer_norm2.bias", "vision_model.post_layernorm.weight",
]


def fake_official_files(tmp_path, cfg, use_safetensors=False):
    src = GPT4RoI(cfg)
    for p in src.parameters():
        torch.nn.init.normal_(p)
    lm = src.lm.state_dict()
    # What old transformers saved beside the weights.
    for i in range(cfg.llm.layers):
        lm[f"model.layers.{i}.self_attn.rotary_emb.inv_freq"] = torch.ones(cfg.llm.head_dim // 2)
    keys = sorted(lm)
    shards = {"a": keys[: len(keys) // 2], "b": keys[len(keys) // 2:]}
    ext = "safetensors" if use_safetensors else "bin"
    gdir = tmp_path / "gpt4roi"
    gdir.mkdir()
    weight_map = {}
    for i, (_, ks) in enumerate(shards.items()):
        name = f"{'model' if use_safetensors else 'pytorch_model'}-0000{i + 1}-of-00002.{ext}"
        part = {k: lm[k].half() for k in ks}
        if use_safetensors:
            write_safetensors(str(gdir / name), part)
        else:
            torch.save(part, gdir / name)
        weight_map.update({k: name for k in ks})
    index = "model.safetensors.index.json" if use_safetensors else "pytorch_model.bin.index.json"
    (gdir / index).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    clip = {k: v.half() for k, v in src.vision_tower.state_dict().items()}
    clip["vision_model.embeddings.position_ids"] = torch.arange(cfg.vision.num_patches + 1)[None]
    clip["text_model.embeddings.token_embedding.weight"] = torch.zeros(3, 4)
    clip["visual_projection.weight"] = torch.zeros(4, 16)
    clip["logit_scale"] = torch.tensor(1.0)
    cdir = tmp_path / "clip"
    cdir.mkdir()
    torch.save(clip, cdir / "pytorch_model.bin")
    return src, str(gdir), str(cdir)


def test_key_layout_matches_official_names():
    keys = set(GPT4RoI(seven_b_layout()).lm.state_dict())
    clip_keys = set(GPT4RoI(seven_b_layout()).vision_tower.state_dict())
    assert set(OFFICIAL_KEYS) <= keys
    assert set(OFFICIAL_CLIP_KEYS) <= clip_keys
    assert all(not k.startswith("model.vision_tower") for k in keys)
    # LLaMA: embed + norm + lm_head + 9 per layer; projector 2; region module per layers.py.
    llama = [k for k in keys if not re.match(r"model\.(mm_projector|spi_module)", k)]
    assert len(llama) == 3 + 32 * 9
    spi = [k for k in keys if k.startswith("model.spi_module.")]
    assert len(spi) == 8 + 5 * 3 + 8 + 8 + 2 + 2  # input_conv, fuse_convs, pconvs, pos_embedd, updims, flatten_linear
    assert len(clip_keys) == 5 + 24 * 16 + 2 - 0


@pytest.mark.parametrize("use_safetensors", [False, True])
def test_load_official_shardedCheckpoint_loadsStrict(tmp_path, use_safetensors):
    cfg = seven_b_layout()
    src, gdir, cdir = fake_official_files(tmp_path, cfg, use_safetensors)
    dst = GPT4RoI(cfg)
    load_official(dst, gdir, cdir)
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        assert torch.equal(a.half().float(), b), k


def test_load_official_missingKey_raises(tmp_path):
    cfg = seven_b_layout()
    src = GPT4RoI(cfg)
    state = src.lm.state_dict()
    del state["model.spi_module.roi_align.updims.weight"]
    torch.save(state, tmp_path / "pytorch_model.bin")
    torch.save(src.vision_tower.state_dict(), tmp_path / "clip.bin")
    with pytest.raises(RuntimeError, match="updims"):
        load_official(GPT4RoI(cfg), str(tmp_path / "pytorch_model.bin"), str(tmp_path / "clip.bin"))


def test_read_checkpoint_emptyFolder_namesWhatIsMissing(tmp_path):
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin"):
        read_checkpoint(str(tmp_path))


def test_seven_b_config_sizes():
    cfg = seven_b()
    assert cfg.vision.region_hidden_state_indices() == [14, 17, 20, 23]
    assert cfg.feature_map_sizes == [128, 64, 32, 16]
    assert cfg.feature_strides == [14 / 8, 14 / 4, 14 / 2, 14]
    assert cfg.added_token_ids() == {"<im_patch>": 32000, "<im_start>": 32001, "<im_end>": 32002,
                                     "<bbox>": 32003, "<point>": 32004}


def test_apply_delta_fakeLlamaAndDelta_mergesAndLoadsStrict(tmp_path):
    from gpt4roi_ref.apply_delta import apply_delta
    cfg = seven_b_layout()
    src, _, cdir = fake_official_files(tmp_path, cfg)
    target = src.lm.state_dict()
    base, delta = {}, {}
    for k, v in target.items():
        v = v.half().float()
        if k.startswith(("model.mm_projector.", "model.spi_module.")):
            delta[k] = v
            continue
        b = torch.randn_like(v).half().float()
        if k in ("model.embed_tokens.weight", "lm_head.weight"):
            b = b[: cfg.base_vocab_size]
            d = v.clone()
            d[: cfg.base_vocab_size] -= b
        else:
            d = v - b
        base[k], delta[k] = b, d
    base["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4)
    (tmp_path / "base").mkdir()
    (tmp_path / "delta").mkdir()
    torch.save(base, tmp_path / "base" / "pytorch_model.bin")
    torch.save(delta, tmp_path / "delta" / "pytorch_model.bin")
    (tmp_path / "delta" / "added_tokens.json").write_text('{"<im_patch>": 35}')
    apply_delta(str(tmp_path / "base"), str(tmp_path / "delta"), str(tmp_path / "merged"), torch.float32)
    dst = GPT4RoI(cfg)
    load_official(dst, str(tmp_path / "merged"), cdir)
    for k, v in target.items():
        assert torch.allclose(dst.lm.state_dict()[k], v.half().float(), atol=1e-5), k
    assert (tmp_path / "merged" / "added_tokens.json").exists()
