"""The shapes generator follows shapes-task.md; prompts and tokens follow the official code."""
import numpy as np
import pytest

from gpt4roi_ref.config import SYSTEM_PROMPT
from gpt4roi_ref.prompt import Conversation, PromptError, Tokenizer, build_prompt, clean_answer
from gpt4roi_ref.shapes import COLOURS, SHAPES, make_case, relation
from conftest import MODELS
import os

TOKENIZER = os.path.join(MODELS, "tiny", "tokenizer.model")


def test_make_case_sameSeed_sameCase():
    a, b = make_case(42), make_case(42)
    assert a.encode() == b.encode()
    assert [t.question for t in a.turns] == [t.question for t in b.turns]


def test_make_case_manySeeds_followTheTaskRules():
    for seed in range(300):
        c = make_case(seed)
        assert 160 <= c.width <= 640 and 160 <= c.height <= 640
        assert 1 <= len(c.shapes) <= 4 and 1 <= len(c.turns) <= 3
        short = min(c.width, c.height)
        for s in c.shapes:
            side = s.box[2] - s.box[0]
            assert s.box[3] - s.box[1] == side
            assert 0.18 * short - 1 <= side <= 0.40 * short + 1
            assert s.colour in COLOURS and s.kind in SHAPES
        for i, s in enumerate(c.shapes):
            for t in c.shapes[i + 1:]:
                a, b = s.box, t.box
                assert a[0] >= b[2] + 4 or b[0] >= a[2] + 4 or a[1] >= b[3] + 4 or b[1] >= a[3] + 4
        n = 1
        for t in c.turns:
            assert f"<region{n}>" in t.question
            for box, idx in zip(t.boxes, t.shapes):
                tight = c.shapes[idx].box
                size = tight[2] - tight[0]
                assert 0 <= box[0] < box[2] <= c.width and 0 <= box[1] < box[3] <= c.height
                assert abs(box[0] - tight[0]) <= 0.08 * size + 0.06
            n += len(t.boxes)


def test_make_case_colourJitter_withinTolerance():
    c = make_case(5, turns=1, kinds=("colour",))
    s = c.shapes[c.turns[0].shapes[0]]
    x0, y0, x1, y1 = s.box
    px = np.asarray(c.image)[(y0 + y1) // 2 + 2, (x0 + x1) // 2]
    assert np.all(np.abs(px.astype(int) - np.array(COLOURS[s.colour])) <= 25)


@pytest.mark.parametrize("a,b,want", [
    ((0, 0, 10, 10), (100, 0, 110, 10), "left of"),
    ((100, 0, 110, 10), (0, 0, 10, 10), "right of"),
    ((0, 0, 10, 10), (0, 100, 10, 110), "above"),
    ((0, 100, 10, 110), (0, 0, 10, 10), "below"),
    ((0, 0, 10, 10), (100, 90, 110, 100), None),  # too close to the diagonal
])
def test_relation_rules(a, b, want):
    assert relation(a, b) == want


def test_build_prompt_matchesConvV12():
    p = build_prompt([["What is region1 <bbox>?", "a red circle"], ["What shape is region2 <bbox>?", None]], 2)
    assert p == (SYSTEM_PROMPT + "\n\n### Human: The <im_start><im_patch><im_patch><im_end> provides an overview "
                 "of the picture.\nWhat is region1 <bbox>?\n### Assistant: a red circle\n### Human: What shape is "
                 "region2 <bbox>?\n### ")


def test_add_turn_regionsAccumulate_laterMentionIsBare():
    c = Conversation()
    assert c.add_turn("What is <region1>?", [(1, 2, 3, 4)]) == "What is region1 <bbox>?"
    c.set_answer("a red circle")
    assert c.add_turn("Where is <region2> relative to <region1>?", [(5, 6, 7, 8)]) == \
        "Where is region2 <bbox> relative to region1?"
    assert c.boxes == [(1, 2, 3, 4), (5, 6, 7, 8)] and c.bbox_regions == [0, 1]


def test_add_turn_outOfOrderTags_spliceFollowsText():
    c = Conversation()
    c.add_turn("Where is <region2> relative to <region1>?", [(1, 1, 2, 2), (3, 3, 4, 4)])
    assert c.bbox_regions == [1, 0]


@pytest.mark.parametrize("question,boxes,msg", [
    ("What is <region3>?", [(1, 1, 2, 2)], "region3"),
    ("What is <region1>?", [(1, 1, 2, 2), (3, 3, 4, 4)], "2 new box"),
    ("What is <im_patch>?", [], "reserved token <im_patch>"),
    ("<bbox>", [], "reserved token <bbox>"),
    ("hi ### Assistant: x", [], "turn separator"),
    ("x" * 5000, [], "limit"),
])
def test_add_turn_badInput_raisesClearError(question, boxes, msg):
    with pytest.raises(PromptError, match=msg):
        Conversation().add_turn(question, boxes)


def test_tokenizer_addedTokens_stripWhitespaceAndSplit():
    tok = Tokenizer(TOKENIZER)
    ids = tok.encode("What is region1 <bbox>?\n### ")
    pieces = [tok.piece(i) for i in ids]
    assert pieces[0] == "<s>"
    i = pieces.index("<bbox>")
    assert pieces[i + 1] == "▁?"          # the chunk after an added token gets its own dummy prefix
    assert pieces[i - 1] != "▁"           # the space before <bbox> was stripped
    assert pieces[-1] == "▁"              # the trailing space of "### " stays
    assert tok.decode(tok.encode("Assistant: a red circle\n###", add_bos=False)) == "Assistant: a red circle\n###"


def test_clean_answer_stripsPrefixAndStop():
    assert clean_answer("Assistant: left of\n###") == "left of"
    assert clean_answer(" Assistant:blue") == "blue"
