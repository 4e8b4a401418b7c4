"""Train the tiny GPT4RoI on the shapes task from scratch.

    /usr/bin/python3 -m gpt4roi_ref.train --out runs/tiny --seed 1 [--steps N] [--device cpu|cuda]

One command with a seed. Samples are a pure function of (seed, sample index), so a run resumes from
its last checkpoint (`--out`/checkpoint.pt) and sees exactly the data it would have seen. Runs on CPU
(hours on 2 cores) or CUDA (minutes); both run the same code.

Training recipe (why it learns shape and relation through a tiny LLM):
- loss on every answer of the conversation, in the token form the model sees at inference;
- auxiliary heads on the region embedding (colour, shape, box centre and aspect), dropped at export,
  so the region path learns what to carry from the first steps;
- AdamW with warm-up and cosine decay, gradient clipping.
"""
from __future__ import annotations

import argparse
import math
import os
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from .config import GPT4RoIConfig, tiny
from .modeling import GPT4RoI, init_weights
from .preprocess import decode_image, normalise_boxes, pixels_from_image
from .prompt import Conversation, Tokenizer
from .shapes import COLOURS, SHAPES, make_case
from .training import TrainingRun, lr_at, set_lr

IGNORE = -100
SEED_SPACE = 2 ** 31  # training seeds live below this; evaluation seeds above it


def sample_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index * 7_919) % SEED_SPACE


def build_example(tok: Tokenizer, cfg: GPT4RoIConfig, case) -> Dict:
    """Token ids and labels for one conversation: every answer is supervised.

    Earlier answers are labelled where they sit in the re-tokenised history (as the next turn's prompt
    will contain them); the last answer is labelled in generation form, after the prompt's trailing `### `.
    """
    if case.fmt == "jpeg":
        img = decode_image(case.encode())
    else:
        img = case.image
    pixels = pixels_from_image(img, cfg.vision.image_size)
    conv = Conversation()
    for turn in case.turns:
        conv.add_turn(turn.question, turn.boxes)
        conv.set_answer(turn.answer)
    conv.turns[-1][1] = None
    prompt_ids = tok.encode(conv.prompt(cfg.vision.num_patches))
    answer_ids = tok.encode("Assistant: " + case.turns[-1].answer + "\n###", add_bos=False)
    ids = prompt_ids + answer_ids
    labels = [IGNORE] * len(prompt_ids) + answer_ids
    # History answers: from each "▁Assistant" piece up to the piece before the next "▁Human".
    start_piece = answer_ids[0]
    human_piece = tok.encode("Human", add_bos=False)[0]
    i = 0
    for turn in case.turns[:-1]:
        while i < len(prompt_ids) and prompt_ids[i] != start_piece:
            i += 1
        j = i
        while j < len(prompt_ids) and prompt_ids[j] != human_piece:
            j += 1
        span = prompt_ids[i:j]
        if tok.decode(span).strip() == f"Assistant: {turn.answer}\n###":
            labels[i:j] = span
        i = j
    boxes = [b for t in case.turns for b in t.boxes]
    shape_idx = [s for t in case.turns for s in t.shapes]
    boxes_norm = normalise_boxes(boxes, case.width, case.height)
    colour = [list(COLOURS).index(case.shapes[s].colour) for s in shape_idx]
    shape = [SHAPES.index(case.shapes[s].kind) for s in shape_idx]
    geo = []
    for b in boxes_norm.tolist():
        geo.append([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2,
                    math.log(max(b[2] - b[0], 1e-3) / max(b[3] - b[1], 1e-3))])
    return dict(pixels=pixels, ids=torch.tensor(ids), labels=torch.tensor(labels), boxes=boxes_norm,
                bbox_regions=torch.tensor(conv.bbox_regions, dtype=torch.long),
                colour=torch.tensor(colour), shape=torch.tensor(shape), geo=torch.tensor(geo, dtype=torch.float32))


class ShapesDataset(Dataset):
    def __init__(self, tok_path: str, cfg: GPT4RoIConfig, seed: int, length: int):
        self.tok_path, self.cfg, self.seed, self.length = tok_path, cfg, seed, length
        self.tok = None

    def __len__(self):
        return self.length

    def __getitem__(self, index: int) -> Dict:
        if self.tok is None:
            self.tok = Tokenizer(self.tok_path, self.cfg.base_vocab_size)
        return build_example(self.tok, self.cfg, make_case(sample_seed(self.seed, index)))


def collate(batch: List[Dict]) -> Dict:
    n = max(len(b["ids"]) for b in batch)
    ids = torch.zeros(len(batch), n, dtype=torch.long)
    labels = torch.full((len(batch), n), IGNORE, dtype=torch.long)
    mask = torch.zeros(len(batch), n, dtype=torch.long)
    for i, b in enumerate(batch):
        k = len(b["ids"])
        ids[i, :k], labels[i, :k], mask[i, :k] = b["ids"], b["labels"], 1
    counts = [len(b["boxes"]) for b in batch]
    return dict(pixels=torch.stack([b["pixels"] for b in batch]), ids=ids, labels=labels, mask=mask,
                boxes=torch.cat([b["boxes"] for b in batch]),
                batch_index=torch.cat([torch.full((c,), i, dtype=torch.long) for i, c in enumerate(counts)]),
                counts=counts, bbox_regions=[b["bbox_regions"] for b in batch],
                colour=torch.cat([b["colour"] for b in batch]), shape=torch.cat([b["shape"] for b in batch]),
                geo=torch.cat([b["geo"] for b in batch]))


class AuxHeads(nn.Module):
    """Training-only probes on the region embedding; not part of the exported model."""

    def __init__(self, hidden: int):
        super().__init__()
        self.colour = nn.Linear(hidden, len(COLOURS))
        self.shape = nn.Linear(hidden, len(SHAPES))
        self.geo = nn.Linear(hidden, 3)


def forward_loss(model: GPT4RoI, aux: AuxHeads, batch: Dict, device: str):
    pixels = batch["pixels"].to(device, non_blocking=True)
    tokens, maps = model.encode_image(pixels)
    _, regions = model.region_embeddings(maps, batch["boxes"].to(device), batch["batch_index"].to(device))
    per_seq, start = [], 0
    for c, order in zip(batch["counts"], batch["bbox_regions"]):
        per_seq.append(regions[start:start + c][order.to(device)])
        start += c
    ids = batch["ids"].to(device)
    embeds = model.splice(ids, tokens, per_seq)
    mask = batch["mask"].to(device)
    pos = torch.arange(ids.shape[1], device=device)[None].expand_as(ids)
    logits, _ = model.lm.decode(embeds, mask, pos)
    labels = batch["labels"].to(device)
    lm_loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                              ignore_index=IGNORE)
    aux_loss = (F.cross_entropy(aux.colour(regions), batch["colour"].to(device)) +
                F.cross_entropy(aux.shape(regions), batch["shape"].to(device)) +
                F.smooth_l1_loss(aux.geo(regions), batch["geo"].to(device), beta=0.1) * 10)
    with torch.no_grad():
        pred = logits[:, :-1].argmax(-1)
        sel = labels[:, 1:] != IGNORE
        tok_acc = (pred[sel] == labels[:, 1:][sel]).float().mean()
    return lm_loss, aux_loss, tok_acc


def main() -> None:
    p = argparse.ArgumentParser(description="Train the tiny GPT4RoI on the shapes task.")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--aux-weight", type=float, default=0.5)
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--save-every", type=int, default=250)
    p.add_argument("--time-limit", type=float, default=0, help="minutes; save and stop when reached")
    p.add_argument("--tokenizer", default=None, help="tokenizer.model to use (trained into --out if absent)")
    a = p.parse_args()

    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    if a.device == "cpu":
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    cfg = tiny()
    tok_path = os.path.join(a.out, "tokenizer.model")
    if a.tokenizer:
        with open(a.tokenizer, "rb") as s, open(tok_path, "wb") as d:
            d.write(s.read())
    elif not os.path.exists(tok_path):
        from .tokenizer_train import train_tokenizer
        train_tokenizer(tok_path, cfg.base_vocab_size)
    cfg.save(os.path.join(a.out, "config.json"))

    model = GPT4RoI(cfg)
    init_weights(model)
    aux = AuxHeads(cfg.llm.hidden)
    model.to(a.device)
    aux.to(a.device)
    params = list(model.parameters()) + list(aux.parameters())
    decay = [q for q in params if q.dim() >= 2]
    no_decay = [q for q in params if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98))
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=a.device)
        model.load_state_dict(ck["model"])
        aux.load_state_dict(ck["aux"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        print(f"resumed at step {step}", flush=True)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "aux": aux.state_dict(), "opt": opt.state_dict(), "step": step,
                    "args": vars(a)}, tmp)
        os.replace(tmp, ckpt_path)
        torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))

    ds = ShapesDataset(tok_path, cfg, a.seed, a.steps * a.batch)
    sampler = range(step * a.batch, a.steps * a.batch)
    extra = {"prefetch_factor": 4, "persistent_workers": True} if a.workers > 0 else {}
    loader = DataLoader(ds, batch_size=a.batch, sampler=sampler, num_workers=a.workers, collate_fn=collate,
                        pin_memory=a.device != "cpu", **extra)
    run = TrainingRun(a.out, save, a.save_every, a.time_limit)
    model.train()
    for batch in loader:
        lr = lr_at(step, a.steps, a.lr, a.warmup)
        set_lr(opt, lr)
        lm_loss, aux_loss, tok_acc = forward_loss(model, aux, batch, a.device)
        loss = lm_loss + a.aux_weight * aux_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        vals = torch.stack([lm_loss.detach(), aux_loss.detach(), tok_acc]).cpu().tolist() if step % 25 == 0 else None
        if vals:
            run.log(step=step, lr=round(lr, 6), lm_loss=round(vals[0], 4), aux_loss=round(vals[1], 4),
                    answer_token_acc=round(vals[2], 4))
        if run.step_done(step):
            break
    run.finish(step)


if __name__ == "__main__":
    main()
