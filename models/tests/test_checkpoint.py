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
    # The training code's order (train.py 589-595, spi_llava.py 248-258): [PAD] first, 32006 rows.
    assert cfg.added_token_ids() == {"[PAD]": 32000, "<im_patch>": 32001, "<bbox>": 32002, "<point>": 32003,
                                     "<im_start>": 32004, "<im_end>": 32005}
    assert cfg.llm.vocab_size == 32006
    assert cfg.preprocess == "clip_processor_stretch"
    assert (cfg.generation.temperature, cfg.generation.top_k, cfg.generation.max_new_tokens) == (0.2, 50, 1024)


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
    (tmp_path / "delta" / "config.json").write_text(json.dumps({"vocab_size": 40, "mm_vision_select_layer": -2}))
    apply_delta(str(tmp_path / "base"), str(tmp_path / "delta"), str(tmp_path / "merged"), torch.float32)
    dst = GPT4RoI(cfg)
    load_official(dst, str(tmp_path / "merged"), cdir)
    for k, v in target.items():
        assert torch.allclose(dst.lm.state_dict()[k], v.half().float(), atol=1e-5), k
    assert (tmp_path / "merged" / "added_tokens.json").exists()
    assert (tmp_path / "merged" / "config.json").exists()


# ---- the exact 7B shapes ----------------------------------------------------------------------------

def official_7b_shapes():
    """Every key of the merged GPT4RoI-7B checkpoint and of CLIPVisionModel (ViT-L/14) with its shape, written
    out from the official code (spi_llava.py 15-21, layers.py 96-270, HF LlamaModel / CLIPVisionModel)."""
    v, h, inter, layers = 32006, 4096, 11008, 32
    lm = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,), "lm_head.weight": (v, h),
          "model.mm_projector.weight": (h, 1024), "model.mm_projector.bias": (h,)}
    for i in range(layers):
        p = f"model.layers.{i}."
        for n in ("q", "k", "v", "o"):
            lm[p + f"self_attn.{n}_proj.weight"] = (h, h)
        lm[p + "mlp.gate_proj.weight"] = (inter, h)
        lm[p + "mlp.up_proj.weight"] = (inter, h)
        lm[p + "mlp.down_proj.weight"] = (h, inter)
        lm[p + "input_layernorm.weight"] = (h,)
        lm[p + "post_attention_layernorm.weight"] = (h,)
    s = "model.spi_module."
    for i in range(4):
        lm[s + f"mlvl_fuse.input_conv.{i}.weight"] = (1024, 1026, 1, 1)
        lm[s + f"mlvl_fuse.input_conv.{i}.bias"] = (1024,)
        lm[s + f"roi_align.pconvs.{i}.weight"] = (1024, 1024, 3, 3)
        lm[s + f"roi_align.pconvs.{i}.bias"] = (1024,)
    for i in range(5):
        lm[s + f"mlvl_fuse.fuse_convs.{i}.conv.weight"] = (1024, 1024, 3, 3)   # ConvModule: bias off with a norm
        lm[s + f"mlvl_fuse.fuse_convs.{i}.gn.weight"] = (1024,)
        lm[s + f"mlvl_fuse.fuse_convs.{i}.gn.bias"] = (1024,)
    for k, shape in {"pos_embedd.0.weight": (256, 4), "pos_embedd.0.bias": (256,), "pos_embedd.2.weight": (256,),
                     "pos_embedd.2.bias": (256,), "pos_embedd.3.weight": (1024, 256), "pos_embedd.3.bias": (1024,),
                     "pos_embedd.5.weight": (1024,), "pos_embedd.5.bias": (1024,), "updims.weight": (4096, 1024),
                     "updims.bias": (4096,), "flatten_linear.weight": (1024, 1024 * 14 * 14),
                     "flatten_linear.bias": (1024,)}.items():
        lm[s + "roi_align." + k] = shape
    clip = {"vision_model.embeddings.class_embedding": (1024,),
            "vision_model.embeddings.patch_embedding.weight": (1024, 3, 14, 14),
            "vision_model.embeddings.position_embedding.weight": (257, 1024),
            "vision_model.pre_layrnorm.weight": (1024,), "vision_model.pre_layrnorm.bias": (1024,),
            "vision_model.post_layernorm.weight": (1024,), "vision_model.post_layernorm.bias": (1024,)}
    for i in range(24):
        p = f"vision_model.encoder.layers.{i}."
        for n in ("q", "k", "v", "out"):
            clip[p + f"self_attn.{n}_proj.weight"] = (1024, 1024)
            clip[p + f"self_attn.{n}_proj.bias"] = (1024,)
        clip[p + "mlp.fc1.weight"] = (4096, 1024)
        clip[p + "mlp.fc1.bias"] = (4096,)
        clip[p + "mlp.fc2.weight"] = (1024, 4096)
        clip[p + "mlp.fc2.bias"] = (1024,)
        for n in ("layer_norm1", "layer_norm2"):
            clip[p + n + ".weight"] = (1024,)
            clip[p + n + ".bias"] = (1024,)
    return lm, clip


def test_seven_b_onMeta_hasExactlyTheOfficialKeysAndShapes():
    from gpt4roi_ref.checkpoint import clip_vision_part, gpt4roi_part
    lm_ref, clip_ref = official_7b_shapes()
    with torch.device("meta") if hasattr(torch, "device") and hasattr(torch.device, "__enter__") else _meta():
        model = GPT4RoI(seven_b())
    lm = {k: tuple(v.shape) for k, v in model.lm.state_dict().items()}
    clip = {k: tuple(v.shape) for k, v in model.vision_tower.state_dict().items()}
    assert lm == lm_ref
    assert clip == clip_ref
    flat = lm_ref["model.spi_module.roi_align.flatten_linear.weight"]
    assert flat[0] * flat[1] == 205_520_896           # the ~205M-parameter flatten_linear
    # What a real checkpoint also holds is dropped, nothing else.
    extra = {f"model.layers.{i}.self_attn.rotary_emb.inv_freq": None for i in range(32)}
    assert set(gpt4roi_part(dict(lm_ref, **extra))) == set(lm_ref)
    assert set(clip_vision_part(dict(clip_ref, **{"vision_model.embeddings.position_ids": None,
                                                  "text_model.embeddings.token_embedding.weight": None}))) == set(clip_ref)


class _meta:
    """torch 1.13 has no `with torch.device(...)`: build on meta by patching the default factory kwargs."""

    def __enter__(self):
        import torch.nn as nn
        self._saved = nn.Module.register_parameter
        orig = self._saved

        def register(module, name, param):
            if param is not None and not param.is_meta:
                param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
            return orig(module, name, param)
        nn.Module.register_parameter = register
        return self

    def __exit__(self, *exc):
        import torch.nn as nn
        nn.Module.register_parameter = self._saved


def test_seven_b_shardedRandomCheckpoint_loadsWithNoMissingOrUnexpectedKey(tmp_path):
    """A random checkpoint with exactly the official 7B keys and shapes, written in shards one tensor at a
    time (empty storage: the test never holds the 13 GB), read back, and checked against the model's keys
    and shapes as load_state_dict(strict=True) would."""
    from gpt4roi_ref.checkpoint import clip_vision_part, gpt4roi_part, read_checkpoint
    lm_ref, clip_ref = official_7b_shapes()
    with _meta():
        model = GPT4RoI(seven_b())
    # Shards hold zero-stride expanded tensors: torch.save writes one element per tensor.
    gdir = tmp_path / "GPT4RoI-7B"
    gdir.mkdir()
    keys = sorted(lm_ref)
    weight_map = {}
    for i in range(3):
        name = f"pytorch_model-0000{i + 1}-of-00003.bin"
        part = {k: torch.zeros(1, dtype=torch.float16).expand(*lm_ref[k]) for k in keys[i::3]}
        torch.save(part, gdir / name)
        weight_map.update({k: name for k in part})
    (gdir / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    cdir = tmp_path / "clip"
    cdir.mkdir()
    torch.save({k: torch.zeros(1, dtype=torch.float16).expand(*s) for k, s in clip_ref.items()}, cdir / "pytorch_model.bin")
    for path, part, sd in ((str(gdir), gpt4roi_part, model.lm.state_dict()),
                           (str(cdir), clip_vision_part, model.vision_tower.state_dict())):
        got = {k: tuple(v.shape) for k, v in part(read_checkpoint(path)).items()}
        want = {k: tuple(v.shape) for k, v in sd.items()}
        missing, unexpected = set(want) - set(got), set(got) - set(want)
        assert not missing and not unexpected, (sorted(missing)[:3], sorted(unexpected)[:3])
        assert got == want


def test_config_from_checkpoint_readsVocabAddedTokensAndSpecialTokens(tmp_path):
    from gpt4roi_ref.checkpoint import config_from_checkpoint
    (tmp_path / "config.json").write_text(json.dumps({"vocab_size": 32006, "hidden_size": 4096,
                                                       "num_hidden_layers": 32, "mm_vision_select_layer": -2,
                                                       "mm_use_im_start_end": True}))
    (tmp_path / "added_tokens.json").write_text(json.dumps(
        {"[PAD]": 32000, "<im_patch>": 32001, "<bbox>": 32002, "<point>": 32003, "<im_start>": 32004, "<im_end>": 32005}))
    (tmp_path / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "</s>", "eos_token": "</s>", "unk_token": {"content": "<unk>", "lstrip": False}, "pad_token": "[PAD]"}))
    cfg = config_from_checkpoint(seven_b(), str(tmp_path), vocab_rows=32006)
    assert cfg.llm.vocab_size == 32006
    assert cfg.added_token_ids()["<bbox>"] == 32002 and cfg.added_token_ids()["<im_end>"] == 32005
    assert cfg.special_token_strings() == {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>",
                                           "pad_token": "[PAD]"}
    with pytest.raises(ValueError, match="do not fit"):
        config_from_checkpoint(seven_b(), str(tmp_path), vocab_rows=32005)


def test_export_stream_fakeSevenBLayout_writesFp16AndInt4Folder(tmp_path):
    """The low-RAM real-weights path: checkpoint tokenizer files decide vocabulary, ids and BOS."""
    import shutil
    import subprocess
    import sys
    import onnx
    from conftest import MODELS
    cfg = GPT4RoIConfig(
        name="fake-7b-layout",
        vision=VisionConfig(width=16, layers=24, heads=2, mlp_dim=32),
        region=RegionConfig(width=16, group_norm_groups=4, pos_hidden=8, box_embed=16),
        llm=LlamaConfig(vocab_size=518, hidden=32, layers=2, heads=2, intermediate=48),
        base_vocab_size=512)
    src, gdir, cdir = fake_official_files(tmp_path, cfg, use_safetensors=True)
    added = {"[PAD]": 512, "<im_patch>": 513, "<bbox>": 514, "<point>": 515, "<im_start>": 516, "<im_end>": 517}
    (tmp_path / "gpt4roi" / "added_tokens.json").write_text(json.dumps(added))
    (tmp_path / "gpt4roi" / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "[PAD]"}))
    (tmp_path / "gpt4roi" / "config.json").write_text(json.dumps(
        {"vocab_size": 518, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 48, "mm_vision_select_layer": -2, "mm_use_im_start_end": True}))
    shutil.copyfile(os.path.join(MODELS, "tiny", "tokenizer.model"), tmp_path / "gpt4roi" / "tokenizer.model")
    cfg_path = tmp_path / "preset.json"
    cfg.save(str(cfg_path))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "gpt4roi_ref.export", "--stream", "--config", str(cfg_path),
                        "--gpt4roi", gdir, "--clip", cdir, "--tokenizer", str(tmp_path / "gpt4roi" / "tokenizer.model"),
                        "--out", str(out), "--dtype", "fp16", "--dtype", "int4"],
                       cwd=MODELS, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((out / "manifest.json").read_text())
    assert set(m["variants"]) == {"fp16", "int4"} and m["default_variant"] == "fp16"
    assert m["tokenizer"]["added_tokens"] == added and m["tokenizer"]["bos_id"] == 2
    assert m["tokenizer"]["added_tokens_source"] == "added_tokens.json"
    assert m["embeddings"]["shape"] == [518, 32] and m["dims"]["vocab_size"] == 518
    assert os.path.getsize(out / "embed_tokens.bin") == 518 * 32 * 4
    for f in ("decoder.fp16.onnx", "decoder.int4.onnx", "vision.onnx", "region_head.fp16.onnx"):
        onnx.checker.check_model(str(out / f))
    ops = {n.op_type for n in onnx.load(str(out / "decoder.int4.onnx"), load_external_data=False).graph.node}
    assert "MatMulNBits" in ops and "MatMul" in ops
