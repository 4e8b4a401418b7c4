"""Tensor bundles: a JSON index plus raw little-endian C-order files, readable from C# without Python.

    {"tensors": {"name": {"dtype": "float32", "shape": [1, 3], "file": "name.bin", "sha256": "..."}}}
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Dict, Optional

import numpy as np
import torch

_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float16): "float16", np.dtype(np.int64): "int64",
           np.dtype(np.int32): "int32", np.dtype(np.uint8): "uint8"}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def write_bundle(json_path: str, tensors: Dict[str, object], extra: Optional[dict] = None) -> None:
    folder = os.path.dirname(os.path.abspath(json_path))
    stem = os.path.splitext(os.path.basename(json_path))[0]
    os.makedirs(folder, exist_ok=True)
    index = {}
    for name, value in tensors.items():
        arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        fname = f"{stem}.{_safe(name)}.bin"
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(raw)
        index[name] = {"dtype": _DTYPES[arr.dtype], "shape": list(arr.shape), "file": fname,
                       "sha256": hashlib.sha256(raw).hexdigest()}
    doc = {"tensors": index}
    if extra:
        doc.update(extra)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)


def read_bundle(json_path: str) -> Dict[str, np.ndarray]:
    folder = os.path.dirname(os.path.abspath(json_path))
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    out = {}
    for name, info in doc["tensors"].items():
        arr = np.fromfile(os.path.join(folder, info["file"]), dtype=np.dtype(info["dtype"]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
