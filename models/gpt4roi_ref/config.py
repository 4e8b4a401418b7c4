"""One configuration for the real GPT4RoI-7B shape and the tiny shapes model.

Every size the C# side needs is derived here and written into the exported manifest, so nothing
is hard-coded on the serving side.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# Added tokens, in the order the official demo (gpt4roi/app.py 83-86) adds them after the base vocabulary.
# The tiny model uses this order. Real weights take their ids from the checkpoint's added_tokens.json.
ADDED_TOKENS = ("<im_patch>", "<im_start>", "<im_end>", "<bbox>", "<point>")
# The order training adds them (gpt4roi/train/train.py 589-595: [PAD] when the tokenizer has no pad token;
# gpt4roi/models/spi_llava.py 248-258: <im_patch>, then <bbox>, <point>, then <im_start>, <im_end>).
TRAINING_ADDED_TOKENS = ("[PAD]", "<im_patch>", "<bbox>", "<point>", "<im_start>", "<im_end>")
# Strings the slow LlamaTokenizer splits out of user text as single ids when they are its special tokens.
DEFAULT_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}

SYSTEM_PROMPT = (
    "A chat between a curious human and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the human's questions."
)
IMAGE_INTRO = "The <image> provides an overview of the picture.\n"
STOP_STRING = "###"


@dataclass
class VisionConfig:
    """CLIP ViT (HF `CLIPVisionModel` layout)."""
    image_size: int = 224
    patch_size: int = 14
    width: int = 1024
    layers: int = 24
    heads: int = 16
    mlp_dim: int = 4096
    layer_norm_eps: float = 1e-5
    # hidden_states index of the image tokens (config.mm_vision_select_layer in the official code).
    select_layer: int = -2
    # The region levels are hidden_states[select_layer::-stride][::-1][-num_levels:].
    region_layer_stride: int = 3
    num_region_levels: int = 4

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        return self.grid * self.grid

    def region_hidden_state_indices(self) -> List[int]:
        """Indices into hidden_states (length layers + 1) of the four region levels, finest first."""
        n = self.layers + 1
        start = self.select_layer % n
        picked = list(range(start, -1, -self.region_layer_stride))[::-1]
        if len(picked) < self.num_region_levels:
            raise ValueError(
                f"vision tower with {self.layers} layers gives only {len(picked)} region levels "
                f"at stride {self.region_layer_stride}; need {self.num_region_levels}")
        return picked[-self.num_region_levels:]


@dataclass
class RegionConfig:
    """MLVLROIQueryModule: multi-level fusion, RoIAlign and the per-box head."""
    width: int = 1024            # embed_dims of MLVLFuseModule (channels of the fused maps)
    group_norm_groups: int = 64  # GroupNorm groups in the fuse ConvModules
    num_fuse: int = 5
    roi_size: int = 14
    sampling_ratio: int = 2
    pos_hidden: int = 256        # pos_embedd inner width
    box_embed: int = 1024        # flatten_linear / pos_embedd output width

    @property
    def shuffle_channels(self) -> int:
        return self.width // 4

    @property
    def remain_channels(self) -> int:
        return self.width - 2 * self.shuffle_channels


@dataclass
class LlamaConfig:
    vocab_size: int = 32006
    hidden: int = 4096
    layers: int = 32
    heads: int = 32
    intermediate: int = 11008
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_positions: int = 2048

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


@dataclass
class GenerationConfig:
    """Decoding defaults written into the manifest (a request may override them)."""
    do_sample: bool = False
    temperature: float = 0.0     # 0 = greedy
    top_k: int = 0               # 0 = off
    top_p: float = 1.0
    max_new_tokens: int = 64


def demo_generation() -> GenerationConfig:
    """The official demo: generate(do_sample=True, temperature=0.2, max_new_tokens=1024) (gpt4roi/app.py
    294-300); top_k and top_p are transformers' GenerationConfig defaults (50, 1.0)."""
    return GenerationConfig(do_sample=True, temperature=0.2, top_k=50, top_p=1.0, max_new_tokens=1024)


# Image preprocessing modes (see preprocess.py and docs/model-format.md).
PREPROCESS_STRETCH = "stretch_bilinear"       # mmdet Resize(224, 224, keep_ratio=False), 3 of 5 stage-2 sets
PREPROCESS_CLIP = "clip_processor_stretch"    # CLIPImageProcessor (no crop) + bilinear to 224x224: the demo


@dataclass
class GPT4RoIConfig:
    name: str = "gpt4roi-7b"
    vision: VisionConfig = field(default_factory=VisionConfig)
    region: RegionConfig = field(default_factory=RegionConfig)
    llm: LlamaConfig = field(default_factory=LlamaConfig)
    base_vocab_size: int = 32000
    bos_id: int = 1
    eos_id: int = 2
    unk_id: int = 0
    # name -> id of every token after the base vocabulary; None = ADDED_TOKENS in the demo's order.
    added_tokens: Optional[Dict[str, int]] = None
    # special_tokens_map.json (bos/eos/unk/pad token strings); None = DEFAULT_SPECIAL_TOKENS.
    special_tokens: Optional[Dict[str, str]] = None
    preprocess: str = PREPROCESS_STRETCH
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    # How detected regions enter the prompt (manifest "detection_prompt"); None = one conversation per region
    # (the tiny model). See OFFICIAL_CLI_DEMO_DETECTION_PROMPT and docs/model-format.md.
    detection_prompt: Optional[Dict] = None

    @property
    def feature_map_sizes(self) -> List[int]:
        """Side of each fused level, finest first: 128, 64, 32, 16 for a 16x16 patch grid."""
        g = self.vision.grid
        n = self.vision.num_region_levels
        return [g * 2 ** (n - 1 - i) for i in range(n)]

    @property
    def feature_strides(self) -> List[float]:
        return [self.vision.image_size / s for s in self.feature_map_sizes]

    def added_token_ids(self) -> dict:
        if self.added_tokens is not None:
            return dict(self.added_tokens)
        return {tok: self.base_vocab_size + i for i, tok in enumerate(ADDED_TOKENS)}

    def special_token_strings(self) -> dict:
        return dict(self.special_tokens if self.special_tokens is not None else DEFAULT_SPECIAL_TOKENS)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if d.get("detection_prompt") is None:
            d.pop("detection_prompt", None)  # absent, so configs written before the field are unchanged
        return d

    @staticmethod
    def from_dict(d: dict) -> "GPT4RoIConfig":
        return GPT4RoIConfig(
            name=d["name"],
            vision=VisionConfig(**d["vision"]),
            region=RegionConfig(**d["region"]),
            llm=LlamaConfig(**d["llm"]),
            base_vocab_size=d["base_vocab_size"],
            bos_id=d["bos_id"], eos_id=d["eos_id"], unk_id=d["unk_id"],
            added_tokens=d.get("added_tokens"), special_tokens=d.get("special_tokens"),
            preprocess=d.get("preprocess", PREPROCESS_STRETCH),
            generation=GenerationConfig(**d["generation"]) if "generation" in d else GenerationConfig(),
            detection_prompt=d.get("detection_prompt"))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2)

    @staticmethod
    def load(path: str) -> "GPT4RoIConfig":
        with open(path, encoding="utf-8") as f:
            return GPT4RoIConfig.from_dict(json.load(f))


# The official CLI demo's detection prompt (jshilong/GPT4RoI gpt4roi/cli_demo.py at 71d37c8b5f7d1b062fc22b65892c0f6f09fa1cd5,
# L48, L64-L76): every detection in the first human turn as one unnamed <bbox>, score > 0.3, normalised sides > 0.02,
# at most 100 boxes, the first 10 unfiltered when none is left; the user's question follows on the next line.
OFFICIAL_CLI_DEMO_DETECTION_PROMPT = {
    "mode": "official_cli_demo",
    "image_intro": "The <image> describes the entire picture, while <spi_descript> describes specific regions within the image.\n",
    "regions_placeholder": "<spi_descript>",
    "region_text": "<bbox>",
    "region_separator": "",
    "score_threshold": 0.3,
    "max_regions": 100,
    "min_box_side_normalized": 0.02,
    "fallback_first": 10,
}


def seven_b() -> GPT4RoIConfig:
    """GPT4RoI-7B: LLaMA-7B + CLIP ViT-L/14 (224 px).

    Vocabulary and added-token ids are the training code's (32000 + [PAD] + 5 = 32006 rows); a real
    checkpoint overrides them from its config.json / embedding shape / added_tokens.json
    (checkpoint.config_from_checkpoint). Preprocessing and decoding default to the official demo's.
    """
    base = 32000
    return GPT4RoIConfig(
        llm=LlamaConfig(vocab_size=base + len(TRAINING_ADDED_TOKENS)),
        added_tokens={t: base + i for i, t in enumerate(TRAINING_ADDED_TOKENS)},
        special_tokens=dict(DEFAULT_SPECIAL_TOKENS, pad_token="[PAD]"),
        preprocess=PREPROCESS_CLIP, generation=demo_generation(),
        detection_prompt=dict(OFFICIAL_CLI_DEMO_DETECTION_PROMPT))


TINY_BASE_VOCAB = 512


def tiny() -> GPT4RoIConfig:
    """The shipped shapes model. Narrow region width because the 128x128 fused level dominates cost."""
    return GPT4RoIConfig(
        name="gpt4roi-tiny-shapes",
        vision=VisionConfig(width=64, layers=4, heads=4, mlp_dim=256, region_layer_stride=1),
        region=RegionConfig(width=32, group_norm_groups=8, pos_hidden=64, box_embed=64),
        llm=LlamaConfig(vocab_size=TINY_BASE_VOCAB + len(ADDED_TOKENS), hidden=192, layers=4, heads=6,
                        intermediate=512, max_positions=1024),
        base_vocab_size=TINY_BASE_VOCAB)


PRESETS = {"7b": seven_b, "tiny": tiny}
