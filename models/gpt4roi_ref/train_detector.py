"""Train the tiny shapes detector (`detector.py`) from scratch.

    /usr/bin/python3 -m gpt4roi_ref.train_detector --out ../runs/detector --seed 1 [--steps N] [--time-limit MIN]

One command with a seed. Sample i of a run is the scene `make_case(sample_seed(seed, i))` (the same seed
mapping as `train.py`; training seeds are below 2**31, evaluation seeds above), flipped left-right when
`flip_of(seed, i)` says so: a pure function of (seed, index). So a run stopped anywhere (time limit, Ctrl-C,
a crash) resumes from `--out`/checkpoint.pt and sees exactly the data it would have seen; the learning-rate
schedule depends on the step only.

Recipe: AdamW (lr 2e-3, weight decay 5e-4 on conv weights), linear warm-up then cosine decay to 5%, gradient
clipping at 10, an exponential moving average of the weights (what is exported), batch 16.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
from typing import Dict, List

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .checkpoint import write_safetensors
from .detector import DetectorConfig, TinyDetector, boxes_to_input, count_parameters, detection_loss, preprocess_image
from .preprocess import decode_image
from .shapes import make_case
from .training import TrainingRun, lr_at, set_lr

SEED_SPACE = 2 ** 31


def sample_seed(seed: int, index: int) -> int:
    """Scene seed of sample `index` of run `seed` (the mapping of train.py)."""
    return (seed * 1_000_003 + index * 7_919) % SEED_SPACE


def flip_of(seed: int, index: int) -> bool:
    return random.Random(sample_seed(seed, index) ^ 0x5EED).random() < 0.5


def scene_example(cfg: DetectorConfig, scene_seed: int, flip: bool = False) -> Dict:
    """One training example: the scene as the detector sees it (JPEG scenes go through their encoding, as a
    served image would) and its ground truth in input pixels."""
    case = make_case(scene_seed, turns=1)
    img = decode_image(case.encode()) if case.fmt == "jpeg" else case.image
    boxes = np.array([s.box for s in case.shapes], dtype=np.float64).reshape(-1, 4)
    labels = [cfg.class_names.index(s.kind) for s in case.shapes]
    if flip:
        img = img.transpose(0)  # Image.FLIP_LEFT_RIGHT; triangles point up, so only left-right is safe
        boxes = np.stack([case.width - boxes[:, 2], boxes[:, 1], case.width - boxes[:, 0], boxes[:, 3]], 1)
    pixels, g = preprocess_image(img, cfg)
    return {"pixels": pixels, "boxes": torch.from_numpy(boxes_to_input(boxes, g)).float(),
            "labels": torch.tensor(labels, dtype=torch.long)}


class SceneDataset(Dataset):
    def __init__(self, cfg: DetectorConfig, seed: int, length: int):
        self.cfg, self.seed, self.length = cfg, seed, length

    def __len__(self):
        return self.length

    def __getitem__(self, index: int) -> Dict:
        return scene_example(self.cfg, sample_seed(self.seed, index), flip_of(self.seed, index))


def collate(batch: List[Dict]) -> Dict:
    return {"pixels": torch.stack([b["pixels"] for b in batch]),
            "targets": [{"boxes": b["boxes"], "labels": b["labels"]} for b in batch]}


class EMA:
    """Exponential moving average of the weights and BN statistics (YOLO's ModelEMA with a ramped decay)."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.999, tau: float = 200.0, updates: int = 0):
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, updates

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.module.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def save_reference(model: TinyDetector, folder: str) -> None:
    """Weights (float32 safetensors) + config.json: what evaluation, export and the goldens load."""
    os.makedirs(folder, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(os.path.join(folder, "detector.safetensors"), state)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(model.cfg.to_dict(), f, indent=1)


def load_reference(folder: str) -> TinyDetector:
    from .checkpoint import read_safetensors
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = DetectorConfig.from_dict(json.load(f))
    model = TinyDetector(cfg)
    missing, unexpected = model.load_state_dict(read_safetensors(os.path.join(folder, "detector.safetensors")),
                                                strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"detector weights do not match: missing {missing}, unexpected {unexpected}")
    return model.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=700)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--input-size", type=int, default=DetectorConfig.input_size)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: with the one data worker that fills 2 cores; on the shared "
                        "2-core machine 2 threads were 6x slower per step, see models/README.md)")
    p.add_argument("--save-every", type=int, default=50)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--time-limit", type=float, default=0, help="minutes of this invocation; save and stop when reached")
    a = p.parse_args()

    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = DetectorConfig(input_size=a.input_size)
    model = TinyDetector(cfg).to(memory_format=torch.channels_last)   # faster convolutions on CPU
    decay = [q for n, q in model.named_parameters() if q.dim() > 1]
    no_decay = [q for n, q in model.named_parameters() if q.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.999))
    ema = EMA(model)
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        ema.module.load_state_dict(ck["ema"])
        ema.updates = ck["ema_updates"]
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        if ck["config"] != cfg.to_dict():
            raise SystemExit("checkpoint was made with another detector config")
        print(f"resumed at step {step}", flush=True)
    else:
        print(f"detector: {count_parameters(model)} parameters, input {cfg.input_size}, {cfg.num_anchors} anchors",
              flush=True)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "ema": ema.module.state_dict(), "ema_updates": ema.updates,
                    "opt": opt.state_dict(), "step": step, "config": cfg.to_dict(), "args": vars(a)}, tmp)
        os.replace(tmp, ckpt_path)
        save_reference(ema.module, os.path.join(a.out, "reference"))

    ds = SceneDataset(cfg, a.seed, a.steps * a.batch)
    sampler = range(step * a.batch, a.steps * a.batch)
    extra = {"prefetch_factor": 4, "persistent_workers": True} if a.workers > 0 else {}
    loader = DataLoader(ds, batch_size=a.batch, sampler=sampler, num_workers=a.workers, collate_fn=collate, **extra)
    run = TrainingRun(a.out, save, a.save_every, a.time_limit)
    model.train()
    for batch in loader:
        lr = lr_at(step, a.steps, a.lr, a.warmup)
        set_lr(opt, lr)
        pixels = batch["pixels"].contiguous(memory_format=torch.channels_last)
        loss, info = detection_loss(model, pixels, batch["targets"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        if step % a.log_every == 0 or step == a.steps:
            run.log(step=step, lr=round(lr, 6), loss=round(float(loss), 4), cls=round(info["cls"], 4), box=round(info["box"], 4))
        if run.step_done(step):
            break
    run.finish(step)


if __name__ == "__main__":
    main()
