"""What the two training loops (train.py, train_detector.py) share: the learning-rate schedule and the loop's
bookkeeping (the JSON-lines log, periodic checkpoints, the time limit, the final save)."""

from __future__ import annotations

import json
import math
import os
import time
from typing import Callable


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to peak, then cosine decay to 5% of it."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def set_lr(opt, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


class TrainingRun:
    """The bookkeeping of one training loop: log lines to stdout and <out>/train.log (appended, so a resumed run
    continues it), a checkpoint every save_every steps and at the end, and a stop after time_limit minutes."""

    def __init__(self, out: str, save: Callable[[], None], save_every: int, time_limit_min: float | None):
        self._save = save
        self._save_every = save_every
        self._time_limit_s = time_limit_min * 60 if time_limit_min else None
        self._log = open(os.path.join(out, "train.log"), "a", encoding="utf-8")
        self.t0 = time.time()

    def log(self, **fields) -> None:
        line = json.dumps({**fields, "elapsed_s": round(time.time() - self.t0, 1)})
        print(line, flush=True)
        self._log.write(line + "\n")
        self._log.flush()

    def step_done(self, step: int) -> bool:
        """Saves when due; True when the time limit says stop."""
        if step % self._save_every == 0:
            self._save()
        if self._time_limit_s and time.time() - self.t0 > self._time_limit_s:
            print(f"time limit reached at step {step}", flush=True)
            return True
        return False

    def finish(self, step: int) -> None:
        self._save()
        self._log.close()
        print(f"done: step {step}, {time.time() - self.t0:.0f} s", flush=True)
