"""The shapes task (shared/docs/shapes-task.md): images, boxes, questions and answers.

Everything is drawn from one `random.Random(seed)`, so a seed names a case exactly.
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 70, 220),
    "yellow": (235, 215, 40),
}
SHAPES = ("circle", "square", "triangle")
KINDS = ("what", "colour", "shape", "relation")
QUESTIONS = {
    "what": "What is <region{a}>?",
    "colour": "What color is <region{a}>?",
    "shape": "What shape is <region{a}>?",
    "relation": "Where is <region{a}> relative to <region{b}>?",
}
# Training and evaluation draw kinds with these weights; relation is the hardest, so it gets the most.
KIND_WEIGHTS = (0.25, 0.2, 0.2, 0.35)
MIN_GAP = 4
JITTER = 0.08
RELATION_RATIO = 1.5

Box = Tuple[float, float, float, float]


@dataclass
class Shape:
    kind: str
    colour: str
    box: Box  # tight pixel box, xyxy


@dataclass
class Turn:
    kind: str
    question: str          # user text with <regionN> tags
    boxes: List[Box]       # the new boxes this turn introduces, in tag order
    shapes: List[int]      # index of the shape each new box was drawn around
    answer: str


@dataclass
class Case:
    seed: int
    width: int
    height: int
    image: Image.Image
    fmt: str               # "png" or "jpeg"
    quality: int
    shapes: List[Shape]
    turns: List[Turn] = field(default_factory=list)

    def encode(self) -> bytes:
        buf = io.BytesIO()
        if self.fmt == "png":
            self.image.save(buf, format="PNG")
        else:
            self.image.save(buf, format="JPEG", quality=self.quality)
        return buf.getvalue()


def relation(a: Box, b: Box) -> Optional[str]:
    """Where a is relative to b, or None when the centres are too close to a diagonal to ask."""
    dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    big, small = max(abs(dx), abs(dy)), min(abs(dx), abs(dy))
    if big < 1 or big < RELATION_RATIO * small:
        return None
    if abs(dx) >= abs(dy):
        return "left of" if dx < 0 else "right of"
    return "above" if dy < 0 else "below"


def _background(rng: random.Random, w: int, h: int) -> np.ndarray:
    mode = rng.choice(("uniform", "noise", "gradient"))
    if mode == "gradient":
        g1, g2 = rng.uniform(40, 215), rng.uniform(40, 215)
        angle = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        proj = xx * math.cos(angle) + yy * math.sin(angle)
        t = (proj - proj.min()) / max(float(proj.max() - proj.min()), 1e-6)
        grey = g1 + (g2 - g1) * t
    else:
        grey = np.full((h, w), rng.uniform(40, 215), dtype=np.float32)
        if mode == "noise":
            sigma = rng.uniform(0, 30)
            noise = np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, (h, w))
            grey = grey + noise.astype(np.float32)
    grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _place(rng: random.Random, w: int, h: int, n: int) -> List[Box]:
    boxes: List[Box] = []
    short = min(w, h)
    for _ in range(n):
        for _attempt in range(100):
            s = int(round(rng.uniform(0.18, 0.40) * short))
            x0, y0 = rng.randint(0, w - s), rng.randint(0, h - s)
            cand = (x0, y0, x0 + s, y0 + s)
            if all(cand[0] >= b[2] + MIN_GAP or b[0] >= cand[2] + MIN_GAP or
                   cand[1] >= b[3] + MIN_GAP or b[1] >= cand[3] + MIN_GAP for b in boxes):
                boxes.append(cand)
                break
    return boxes


def _draw(img: Image.Image, shape: Shape, rgb: Tuple[int, int, int]) -> None:
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = shape.box
    if shape.kind == "circle":
        d.ellipse([x0, y0, x1 - 1, y1 - 1], fill=rgb)
    elif shape.kind == "square":
        d.rectangle([x0, y0, x1 - 1, y1 - 1], fill=rgb)
    else:
        d.polygon([(x0, y1 - 1), (x1 - 1, y1 - 1), ((x0 + x1 - 1) / 2, y0)], fill=rgb)


def region_box(rng: random.Random, tight: Box, w: int, h: int) -> Box:
    """A hand-drawn box: each side moved by up to 8% of the box size, clipped to the image."""
    bw, bh = tight[2] - tight[0], tight[3] - tight[1]
    x0 = tight[0] + rng.uniform(-JITTER, JITTER) * bw
    y0 = tight[1] + rng.uniform(-JITTER, JITTER) * bh
    x1 = tight[2] + rng.uniform(-JITTER, JITTER) * bw
    y1 = tight[3] + rng.uniform(-JITTER, JITTER) * bh
    return (round(max(0.0, x0), 1), round(max(0.0, y0), 1), round(min(float(w), x1), 1), round(min(float(h), y1), 1))


def _answer(kind: str, shapes: List[Shape], idx: List[int], boxes: List[Box]) -> Optional[str]:
    s = shapes[idx[0]]
    if kind == "what":
        return f"a {s.colour} {s.kind}"
    if kind == "colour":
        return s.colour
    if kind == "shape":
        return s.kind
    return relation(boxes[0], boxes[1])


def make_case(seed: int, turns: Optional[int] = None, kinds: Optional[Tuple[str, ...]] = None) -> Case:
    """One image with a 1-3 turn conversation. `kinds` forces the kind of each turn."""
    rng = random.Random(seed)
    w, h = rng.randint(160, 640), rng.randint(160, 640)
    arr = _background(rng, w, h)
    img = Image.fromarray(arr, "RGB")
    n = rng.randint(1, 4)
    shapes: List[Shape] = []
    for box in _place(rng, w, h, n):
        colour = rng.choice(tuple(COLOURS))
        shapes.append(Shape(rng.choice(SHAPES), colour, box))
        nominal = COLOURS[colour]
        rgb = tuple(int(min(255, max(0, c + rng.randint(-25, 25)))) for c in nominal)
        _draw(img, shapes[-1], rgb)
    fmt = rng.choice(("png", "jpeg"))
    quality = rng.randint(85, 95)
    case = Case(seed, w, h, img, fmt, quality, shapes)
    n_turns = turns if turns is not None else rng.randint(1, 3)
    next_region = 1
    for t in range(n_turns):
        kind = kinds[t] if kinds else rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
        if kind == "relation" and len(shapes) < 2:
            if kinds:
                raise ValueError(f"seed {seed}: one shape, no relation question possible")
            kind = rng.choice(KINDS[:3])
        for _attempt in range(20):
            idx = rng.sample(range(len(shapes)), 2 if kind == "relation" else 1)
            boxes = [region_box(rng, shapes[i].box, w, h) for i in idx]
            answer = _answer(kind, shapes, idx, boxes)
            if answer is not None:
                break
        else:  # no pair far enough from the diagonal: ask about one region instead
            if kinds:
                raise ValueError(f"seed {seed}: no shape pair gives a clear relation")
            kind = rng.choice(KINDS[:3])
            idx = [rng.randrange(len(shapes))]
            boxes = [region_box(rng, shapes[idx[0]].box, w, h)]
            answer = _answer(kind, shapes, idx, boxes)
        q = QUESTIONS[kind].format(a=next_region, b=next_region + 1)
        case.turns.append(Turn(kind, q, boxes, idx, answer))
        next_region += len(boxes)
    return case


def tokenizer_corpus(seeds: range) -> List[str]:
    """Text lines for SentencePiece training: every prompt and answer the task produces, split as the
    tokenizer will see them (on the added tokens and on newlines)."""
    from .prompt import Conversation, Tokenizer  # noqa: F401  (Tokenizer only for the split rule)
    import re
    from .config import ADDED_TOKENS
    split = re.compile("|".join(re.escape(t) for t in ADDED_TOKENS))
    lines: List[str] = []
    for seed in seeds:
        case = make_case(seed)
        conv = Conversation()
        for turn in case.turns:
            conv.add_turn(turn.question, turn.boxes)
            conv.set_answer(turn.answer)
        text = conv.prompt(4) + "Assistant: " + case.turns[-1].answer + "\n###"
        for chunk in split.split(text):
            for line in chunk.split("\n"):
                if line.strip():
                    lines.append(line.strip())
    return lines
