"""Shared pieces of the Python baselines: thread settings, timing, machine description, JSON and .npy output.

Every baseline script writes `<run>/<id>/python.json` with the same shape as the C# side's `csharp.json`:
    {"benchmark": "P1", "side": "python", "threads": [...], "results": [ {case..., "impl": ..., "median_s": ...} ],
     "versions": {...}, "settings": {...}}
Times are seconds per operation. A measurement = `warmup` untimed calls (one when a call takes over 0.5 s), then
`iterations` timed iterations of `k` calls each, `k` chosen from the last warm-up call so that one iteration lasts
about `iteration_s` (as BenchmarkDotNet does); the reported figure is the median over the iterations of
(iteration time / k).
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(REPO, "models")


@dataclass(frozen=True)
class Timing:
    """Measurement settings; `full()` and `quick()` match the C# side's jobs (scripts/bench.sh passes --quick to both)."""
    warmup: int
    iterations: int
    iteration_s: float

    @staticmethod
    def full() -> "Timing":
        return Timing(warmup=3, iterations=15, iteration_s=0.2)

    @staticmethod
    def quick() -> "Timing":
        return Timing(warmup=1, iterations=3, iteration_s=0.05)

    def as_json(self) -> Dict[str, float]:
        return {"warmup": self.warmup, "iterations": self.iterations, "iteration_s": self.iteration_s}


def measure(fn: Callable[[], object], timing: Timing) -> Dict[str, float]:
    """Seconds per call of `fn`: median, mean, standard deviation and min over the timed iterations."""
    # Warm-up; its last call is also the pilot that sizes the iterations. A call over 0.5 s needs only one warm-up.
    one = 0.0
    for _ in range(max(1, timing.warmup)):
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        if one > 0.5:
            break
    k = max(1, int(round(timing.iteration_s / one)))
    per_op: List[float] = []
    for _ in range(timing.iterations):
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        per_op.append((time.perf_counter() - t0) / k)
    return {
        "median_s": statistics.median(per_op),
        "mean_s": statistics.fmean(per_op),
        "stdev_s": statistics.stdev(per_op) if len(per_op) > 1 else 0.0,
        "min_s": min(per_op),
        "iterations": len(per_op),
        "calls_per_iteration": k,
    }


def set_threads(n: int) -> None:
    """Intra-op threads of torch (the default here is 1; every baseline sets it explicitly)."""
    import torch

    torch.set_num_threads(n)


def parse_threads(text: str) -> List[int]:
    values = [int(t) for t in text.split(",") if t.strip()]
    if not values or any(v < 1 for v in values):
        raise SystemExit(f"--threads must be a comma-separated list of positive integers, got {text!r}")
    return values


def versions() -> Dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "torchvision", "numpy", "PIL", "onnx"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except ImportError:
            out[name] = "not installed"
    try:
        import torch

        out["torch_parallel"] = torch.__config__.parallel_info().splitlines()[0:3].__str__()
    except Exception:  # noqa: BLE001 - informational only
        pass
    return out


def loadavg() -> float:
    """1-minute load average (what else runs on the machine while a side measures)."""
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def write_json(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def result_file(run_dir: str, bench: str) -> str:
    return os.path.join(run_dir, bench.lower(), "python.json")


def bench_dir(run_dir: str, bench: str) -> str:
    d = os.path.join(run_dir, bench.lower())
    os.makedirs(d, exist_ok=True)
    return d


def log(msg: str) -> None:
    print(f"[python] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ machine


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def machine() -> Dict[str, object]:
    """CPU model, cores, memory, OS and load: what the report prints above the tables."""
    cpuinfo = _read("/proc/cpuinfo") or ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl") if f in flags]
    mhz = [float(line.split(":", 1)[1]) for line in cpuinfo.splitlines() if line.startswith("cpu MHz")]
    mem_kb = 0
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    os_name = "?"
    for line in (_read("/etc/os-release") or "").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    return {
        "cpu_model": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_mhz": round(statistics.fmean(mhz)) if mhz else None,
        "simd": simd,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "loadavg": (_read("/proc/loadavg") or "?").split()[:3],
    }


def main_machine(out_path: str) -> None:
    data = {"machine": machine(), "python": versions()}
    write_json(out_path, data)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "machine":
        main_machine(sys.argv[2])
    else:
        raise SystemExit("usage: benchcommon.py machine OUT.json")
