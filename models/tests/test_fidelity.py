"""Behaviours taken from the official code (docs/model-format.md, "Fidelity"): question rules, special and
added tokens with checkpoint ids, top-k, the demo's preprocessing, the int4 packing."""
import numpy as np
import pytest
import torch
from PIL import Image

from conftest import MODELS
from gpt4roi_ref.config import PREPROCESS_CLIP
from gpt4roi_ref.decoder_builder import dequantize_int4, quantize_int4
from gpt4roi_ref.preprocess import clip_processor_size, pixels_from_image
from gpt4roi_ref.prompt import Conversation, PromptError, Tokenizer

TOKENIZER = MODELS + "/tiny/tokenizer.model"


@pytest.mark.parametrize("question,boxes,expanded", [
    ("  What is <region1>?  ", [(1, 1, 2, 2)], "What is region1 <bbox>?"),            # stripped
    ("What is <1>?", [(1, 1, 2, 2)], "What is region1 <bbox>?"),                       # <N> shorthand
    ("What is <>?", [(1, 1, 2, 2)], "What is <bbox>?"),                                # anonymous box
    ("Is <> left of <region1>?", [(1, 1, 2, 2), (3, 3, 4, 4)], "Is <bbox> left of region1 <bbox>?"),
])
def test_question_rules_followTheDemo(question, boxes, expanded):
    c = Conversation()
    assert c.add_turn(question, boxes) == expanded


def test_question_anonymousBox_takesTheFreeNumber():
    c = Conversation()
    c.add_turn("Is <> left of <region1>?", [(1, 1, 2, 2), (3, 3, 4, 4)])
    assert c.bbox_regions == [1, 0]
    c.set_answer("yes")
    assert c.add_turn("And <2>?") == "And region2?"


@pytest.mark.parametrize("question,boxes,msg", [
    ("What is this?", [], "first question needs at least one region"),
    ("What is <region0>?", [(1, 1, 2, 2)], "numbered from 1"),
    ("What is <0>?", [(1, 1, 2, 2)], "numbered from 1"),
    ("What is <>?", [], "first question"),
])
def test_question_badInput_raises(question, boxes, msg):
    with pytest.raises(PromptError, match=msg):
        Conversation().add_turn(question, boxes)


def test_question_laterTurn_mayHaveNoBox():
    c = Conversation()
    c.add_turn("What is <region1>?", [(1, 1, 2, 2)])
    c.set_answer("a circle")
    assert c.add_turn("  ") == "hello, world!"


def test_tokenizer_typedSpecialTokens_becomeSingleIds():
    tok = Tokenizer(TOKENIZER)
    ids = tok.encode("a </s> b<unk>c <s>", add_bos=False)
    assert tok.eos_id in ids and 0 in ids and 1 in ids
    assert ids == tok.encode("a", add_bos=False) + [2] + tok.encode("b", add_bos=False) + [0] + \
        tok.encode("c", add_bos=False) + [1]


def test_tokenizer_checkpointIds_andFastChatBos():
    # The training order with [PAD] (ids as a real checkpoint's added_tokens.json would give them).
    added = {"[PAD]": 512, "<im_patch>": 513, "<bbox>": 514, "<point>": 515, "<im_start>": 516, "<im_end>": 517}
    tok = Tokenizer(TOKENIZER, 512, added, {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>",
                                            "pad_token": "[PAD]"})
    assert tok.bos_id == 2 and tok.vocab_size == 518
    ids = tok.encode("region1 <bbox> [PAD]x")
    assert ids[0] == 2 and 514 in ids and 512 in ids


def test_topk_one_isGreedy():
    from gpt4roi_ref.evaluate import load_model
    from gpt4roi_ref.inference import Pipeline
    from gpt4roi_ref.preprocess import decode_image
    model, tok = load_model(MODELS + "/tiny")
    pipe = Pipeline(model, tok)
    with open(MODELS + "/tiny/golden/01_one_region_png/image.png", "rb") as f:
        img = decode_image(f.read())
    tokens, maps = pipe.encode_image(pixels_from_image(img))
    conv = Conversation()
    conv.add_turn("What is <region1>?", [(10, 10, 120, 120)])
    _, regions = pipe.region_embeddings(maps, conv.boxes, img.width, img.height)
    greedy = pipe.generate(tokens, regions, conv, max_new_tokens=8)
    sampled = pipe.generate(tokens, regions, conv, max_new_tokens=8, temperature=5.0, top_k=1,
                            generator=torch.Generator().manual_seed(0))
    assert sampled.token_ids == greedy.token_ids


@pytest.mark.parametrize("w,h,want", [(640, 480, (298, 224)), (480, 640, (224, 298)), (224, 500, (224, 500)),
                                      (100, 50, (448, 224)), (333, 333, (224, 224))])
def test_clip_processor_size_shortestEdge(w, h, want):
    assert clip_processor_size(w, h) == want


def test_clip_processor_path_isPilBicubicThenStretch():
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    x = pixels_from_image(img, mode=PREPROCESS_CLIP)
    assert x.shape == (3, 224, 224)
    ref = np.asarray(img.resize((298, 224), Image.BICUBIC), dtype=np.float32) / 255.0
    mean = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
    std = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)
    ref = torch.from_numpy(((ref - mean) / std).transpose(2, 0, 1).copy())
    ref = torch.nn.functional.interpolate(ref[None], size=(224, 224), mode="bilinear", align_corners=False)[0]
    assert torch.allclose(x, ref, atol=1e-5)
    assert not torch.allclose(x, pixels_from_image(img), atol=1e-2)   # differs from the stretch mode


@pytest.mark.parametrize("k", [64, 100, 192])
def test_int4_packing_roundTrips(k):
    rng = np.random.default_rng(k)
    w = rng.standard_normal((5, k)).astype(np.float32)
    w[0, :] = 0.0                                        # a zero block: scale 0, zero point 8
    packed, scales, zps = quantize_int4(w, 32)
    kb = (k + 31) // 32
    assert packed.shape == (5, kb, 16) and packed.dtype == np.uint8
    assert scales.shape == (5 * kb,) and zps.shape == (5 * ((kb + 1) // 2),)
    back = dequantize_int4(packed, scales, zps, k)
    step = np.repeat(scales.reshape(5, kb), 32, axis=1)[:, :k]
    assert np.all(np.abs(back - w) <= step / 2 + 1e-6)
    assert np.all(back[0] == 0)
    # nibble order: element 0 of a block in the low 4 bits, element 1 in the high 4 bits
    q0 = packed[1, 0, 0] & 0x0F
    zp0 = zps[(1 * ((kb + 1) // 2))] & 0x0F
    assert np.isclose((float(q0) - float(zp0)) * scales[kb], back[1, 0])
