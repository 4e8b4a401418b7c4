"""GPT4RoI prompt building, region references and tokenization, as the official demo does them.

Tokenization follows the official code's tokenizer: HF `LlamaTokenizer(use_fast=False)` of transformers
commit cae78c46, with the five added tokens added as plain strings. That version
  1. splits the text on the added tokens (longest match first),
  2. strips whitespace on both sides of each added token,
  3. encodes every remaining non-empty chunk with SentencePiece on its own (so each chunk gets the `▁`
     dummy prefix),
  4. prepends BOS.
Besides the five image/region tokens, the split set holds every other added token of the checkpoint
(`[PAD]`) and the tokenizer's special tokens from special_tokens_map.json (`<s>`, `</s>`, `<unk>` by
default): the slow tokenizer's `unique_no_split_tokens`. Typed as text, each becomes its single id, and the
whitespace on both sides of it is stripped (plain-string special tokens; see docs/model-format.md).

Questions follow the demo (gpt4roi/app.py): stripped; an empty one becomes "hello, world!"; `<N>` is
shorthand for `<regionN>` and `<>` names the next new box without a name (`<bbox>` alone); the first turn
needs at least one box.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .config import ADDED_TOKENS, DEFAULT_SPECIAL_TOKENS, IMAGE_INTRO, STOP_STRING, SYSTEM_PROMPT

REGION_TAG = re.compile(r"<region(\d+)>")
SHORT_TAG = re.compile(r"<(\d+)>")
ANON_TAG = "<>"
# The anonymous tag is rewritten to this internal form before parsing (it cannot be typed: "<" is kept).
_ANON = "<region0>"
EMPTY_QUESTION = "hello, world!"
MAX_QUESTION_CHARS = 4096
MAX_REGIONS = 32


class PromptError(ValueError):
    """A user question or region list that the model must not see."""


def check_user_text(text: str) -> None:
    for tok in ADDED_TOKENS + ("<image>",):
        if tok in text:
            raise PromptError(f"question contains the reserved token {tok}")
    if STOP_STRING in text:
        raise PromptError(f"question contains the turn separator {STOP_STRING!r}")
    if len(text) > MAX_QUESTION_CHARS:
        raise PromptError(f"question is {len(text)} characters; the limit is {MAX_QUESTION_CHARS}")


@dataclass
class Conversation:
    """Multi-turn state: boxes accumulate and are numbered in the order they were given."""
    boxes: List[Tuple[float, float, float, float]] = field(default_factory=list)
    turns: List[List[Optional[str]]] = field(default_factory=list)  # [expanded question, answer]
    named: set = field(default_factory=set)
    # Region index (0-based) of each <bbox> in prompt order: embeddings are spliced in this order, so a
    # question that names <region2> before <region1> still gets each box's own embedding.
    bbox_regions: List[int] = field(default_factory=list)

    def add_turn(self, question: str, new_boxes: Sequence[Sequence[float]] = ()) -> str:
        """Validate and expand a question; returns the expanded text. Raises PromptError."""
        if self.turns and self.turns[-1][1] is None:
            raise PromptError("the previous turn has no answer yet")
        check_user_text(question)
        if not self.turns and len(new_boxes) == 0:
            raise PromptError("the first question needs at least one region (box)")
        if any(int(n) == 0 for n in REGION_TAG.findall(question) + SHORT_TAG.findall(question)):
            raise PromptError("regions are numbered from 1: <region0> does not exist")
        question = normalise_question(question)
        tags = [int(m) for m in REGION_TAG.findall(question) if m != "0"]
        anonymous = question.count(_ANON)
        new_tags: List[int] = []
        for n in tags:
            if n not in self.named and n not in new_tags:
                new_tags.append(n)
        if len(new_tags) + anonymous != len(new_boxes):
            raise PromptError(f"the question introduces {len(new_tags) + anonymous} new <regionN> tag(s) "
                              f"but {len(new_boxes)} new box(es) were given")
        if len(self.boxes) + len(new_boxes) > MAX_REGIONS:
            raise PromptError(f"at most {MAX_REGIONS} regions per conversation")
        expected = list(range(len(self.boxes) + 1, len(self.boxes) + len(new_boxes) + 1))
        # Anonymous boxes (<>) take the numbers the named new tags leave free, in order.
        free = [n for n in expected if n not in new_tags]
        if anonymous and not all(n in expected for n in new_tags):
            free = []
        if sorted(new_tags + free[:anonymous]) != expected:
            bad = [n for n in new_tags if n not in expected]
            name = f"<region{bad[0]}>" if bad else f"<region{new_tags[0]}>"
            raise PromptError(f"the question names {name} but the regions defined are "
                              f"region1..region{len(self.boxes) + len(new_boxes)}; new regions must be "
                              f"numbered {expected}")
        # A first mention of a region becomes "regionN <bbox>"; a later mention the bare name.
        seen_now: set = set()

        anon_numbers = iter(free[:anonymous])

        def expand(m: re.Match) -> str:
            n = int(m.group(1))
            if n == 0:  # <>: a new box without a name
                k = next(anon_numbers)
                self.bbox_regions.append(k - 1)
                return "<bbox>"
            if n in self.named or n in seen_now:
                return f"region{n}"
            seen_now.add(n)
            self.bbox_regions.append(n - 1)
            return f"region{n} <bbox>"

        expanded = REGION_TAG.sub(expand, question)
        self.named.update(new_tags)
        self.named.update(free[:anonymous])
        self.boxes.extend(tuple(float(v) for v in b) for b in new_boxes)
        self.turns.append([expanded, None])
        return expanded

    def set_answer(self, answer: str) -> None:
        self.turns[-1][1] = answer

    def prompt(self, num_patches: int) -> str:
        return build_prompt(self.turns, num_patches)


def normalise_question(question: str) -> str:
    """The demo's rules (gpt4roi/app.py 254-258, 150-152, 164-166): strip; empty -> "hello, world!";
    `<N>` -> `<regionN>`; `<>` -> an anonymous new region (internally `<region0>`)."""
    q = question.strip()
    if not q:
        q = EMPTY_QUESTION
    q = SHORT_TAG.sub(lambda m: f"<region{int(m.group(1))}>", q)
    return q.replace(ANON_TAG, _ANON)


def image_placeholder(num_patches: int) -> str:
    return "<im_start>" + "<im_patch>" * num_patches + "<im_end>"


def build_prompt(turns: Sequence[Sequence[Optional[str]]], num_patches: int) -> str:
    """conv_v1_2: system, then `### Human: ...\\n### Assistant: ...\\n`, ending with `### `."""
    out = SYSTEM_PROMPT + "\n\n"
    for i, (question, answer) in enumerate(turns):
        q = question
        if i == 0:
            q = IMAGE_INTRO.replace("<image>", image_placeholder(num_patches)) + q
        out += "### Human: " + q + "\n"
        if answer is not None:
            out += "### Assistant: " + answer + "\n"
    return out + "### "


def clean_answer(generated: str) -> str:
    """The demo strips the stop string and the `Assistant:` prefix."""
    text = generated
    idx = text.find(STOP_STRING)
    if idx >= 0:
        text = text[:idx]
    text = text.replace("Assistant: ", "").replace("Assistant:", "")
    return text.strip()


class Tokenizer:
    """SentencePiece base vocabulary + the five added tokens with HF-slow semantics."""

    def __init__(self, model_path: str, base_vocab_size: Optional[int] = None,
                 added_tokens: Optional[Dict[str, int]] = None, special_tokens: Optional[Dict[str, str]] = None):
        """added_tokens: name -> id (the checkpoint's added_tokens.json; default: the demo's order after the
        base vocabulary). special_tokens: special_tokens_map.json's bos/eos/unk/pad strings (default
        `<s>`, `</s>`, `<unk>`); BOS is the id of bos_token (FastChat-v0 tokenizers set it to `</s>`)."""
        import sentencepiece as spm
        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        self.base_vocab_size = base_vocab_size or self.sp.get_piece_size()
        if self.sp.get_piece_size() != self.base_vocab_size:
            raise ValueError(f"{model_path} has {self.sp.get_piece_size()} pieces, expected {self.base_vocab_size}")
        if added_tokens is None:
            added_tokens = {tok: self.base_vocab_size + i for i, tok in enumerate(ADDED_TOKENS)}
        missing = [t for t in ADDED_TOKENS if t not in added_tokens]
        if missing:
            raise ValueError(f"added tokens lack {missing}")
        self.added = {k: int(v) for k, v in added_tokens.items()}
        self.added_by_id = {v: k for k, v in self.added.items()}
        self.special_strings = dict(special_tokens if special_tokens is not None else DEFAULT_SPECIAL_TOKENS)
        # Special token string -> id: an added token ([PAD]) or a base piece (<s>, </s>, <unk>).
        self.special = {}
        for name, text in self.special_strings.items():
            if text in self.added:
                self.special[text] = self.added[text]
            else:
                pid = self.sp.piece_to_id(text)
                if self.sp.id_to_piece(pid) != text:
                    raise ValueError(f"special token {name}={text!r} is not a piece of {model_path}")
                self.special[text] = pid
        self.bos_id = self.special.get(self.special_strings.get("bos_token"), self.sp.bos_id())
        self.eos_id = self.special.get(self.special_strings.get("eos_token"), self.sp.eos_id())
        self.no_split = dict(self.special)
        self.no_split.update(self.added)
        self._split = re.compile("(" + "|".join(re.escape(t) for t in sorted(self.no_split, key=len, reverse=True)) + ")")

    @property
    def vocab_size(self) -> int:
        return max(self.base_vocab_size, max(self.added.values()) + 1)

    def encode(self, text: str, add_bos: bool = True) -> List[int]:
        parts = self._split.split(text)
        ids: List[int] = [self.bos_id] if add_bos else []
        for i, part in enumerate(parts):
            if i % 2 == 1:  # a no-split token (odd positions of re.split with one group)
                ids.append(self.no_split[part])
                continue
            if i > 0:
                part = part.lstrip()   # after an added token
            if i < len(parts) - 1:
                part = part.rstrip()   # before an added token
            if part:
                ids.extend(self.sp.encode(part))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        out, run = [], []
        for i in ids:
            if i in self.added_by_id:
                if run:
                    out.append(self.sp.decode(run))
                    run = []
                out.append(self.added_by_id[i])
            else:
                run.append(int(i))
        if run:
            out.append(self.sp.decode(run))
        return "".join(out)

    def piece(self, i: int) -> str:
        return self.added_by_id.get(i) or self.sp.id_to_piece(int(i))
