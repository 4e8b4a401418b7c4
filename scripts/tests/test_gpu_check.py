"""scripts/gpu-check.sh's unpack/verify/run logic on fake parts (a stand-in CLI; no .NET, no GPU)."""
import io
import os
import subprocess
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "gpu-check.sh")

FAKE_CLI = """#!/bin/bash
# answers like `gpt4roi ask --json`; logs the fallback line on stderr when not --cpu
cpu=0; for a in "$@"; do [ "$a" = "--cpu" ] && cpu=1; done
[ $cpu = 0 ] && echo "CUDA execution provider unavailable (no GPU); falling back to CPU" >&2
echo '{"answer": "a red circle", "generated_tokens": 7, "decode_ms": 14.0, "prefill_ms": 100.0}'
"""


def make_parts(tmp_path, part_size=400):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, mode in (("bundle/cli/gpt4roi", FAKE_CLI.encode(), 0o755),
                                 ("bundle/shapes.png", b"png", 0o644),
                                 ("bundle/models/tiny/manifest.json", b"{}", 0o644)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        # incompressible filler so that there are several parts
        filler = os.urandom(1500)
        info = tarfile.TarInfo("bundle/filler.bin")
        info.size = len(filler)
        tar.addfile(info, io.BytesIO(filler))
    data = buf.getvalue()
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(0, len(data), part_size):
        (parts / f"gpu-check.tar.gz.part{i // part_size:02d}").write_bytes(data[i:i + part_size])
    subprocess.run("sha256sum gpu-check.tar.gz.part* > SHA256SUMS", shell=True, cwd=parts, check=True)
    return parts


def run(cmd, parts, tmp_path):
    env = dict(os.environ, GPU_CHECK_WORK=str(tmp_path / "work"), GPU_CHECK_OUT=str(tmp_path / "out"),
               GPU_CHECK_SKIP_7B="1")
    return subprocess.run(["bash", SCRIPT, cmd, str(parts)], capture_output=True, text=True, env=env, timeout=120)


def test_run_fakeParts_verifiesUnpacksAndReports(tmp_path):
    parts = make_parts(tmp_path)
    assert len(list(parts.glob("*.part*"))) >= 3
    r = run("run", parts, tmp_path)
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "out" / "report.txt").read_text()
    assert "tiny parity: 4 of 4 answers equal" in report
    assert "CUDA execution provider unavailable" in report
    assert "tiny speed: generated=7 decode_ms=14.0" in report


def test_unpack_corruptPart_refused(tmp_path):
    parts = make_parts(tmp_path)
    p = parts / "gpu-check.tar.gz.part01"
    data = bytearray(p.read_bytes())
    data[10] ^= 0xFF
    p.write_bytes(bytes(data))
    r = run("unpack", parts, tmp_path)
    assert r.returncode == 1
    assert "corrupt or missing" in r.stderr


def test_usage_unknownCommand_exits1():
    r = subprocess.run(["bash", SCRIPT, "nope"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "usage" in r.stderr
