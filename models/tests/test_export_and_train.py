"""Export of a fresh tiny model (fp32, fp16, external data) with ONNX Runtime parity; training resumes."""
import json
import os
import shutil
import subprocess
import sys

import onnx
import pytest
import torch

from conftest import MODELS
from gpt4roi_ref.config import tiny
from gpt4roi_ref.export import export_all
from gpt4roi_ref.modeling import GPT4RoI, init_weights

TOKENIZER = os.path.join(MODELS, "tiny", "tokenizer.model")
needs_dotnet = pytest.mark.skipif(shutil.which("dotnet") is None, reason="the parity check runs on .NET")


def fresh_model(seed=3):
    torch.manual_seed(seed)
    m = GPT4RoI(tiny())
    init_weights(m)
    return m


@needs_dotnet
def test_export_fp32AndFp16_parityPasses(tmp_path, capfd):
    rc = export_all(fresh_model(), str(tmp_path / "out"), ["fp32", "fp16"], TOKENIZER,
                    parity_dir=str(tmp_path / "parity"))
    out = capfd.readouterr().out
    assert rc == 0, out
    assert "parity: 48 outputs, 0 failed" in out
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert set(m["variants"]) == {"fp32", "fp16"}
    for f in m["files"]:
        if f.endswith(".onnx"):
            onnx.checker.check_model(str(tmp_path / "out" / f))
    assert onnx.load(str(tmp_path / "out" / "decoder.fp16.onnx")).graph.input[0].type.tensor_type.elem_type == \
        onnx.TensorProto.FLOAT16


@needs_dotnet
def test_export_externalData_loadsInOnnxRuntime(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("GPT4ROI_FORCE_EXTERNAL_DATA", "1")
    rc = export_all(fresh_model(), str(tmp_path / "out"), ["fp32"], TOKENIZER, parity_dir=str(tmp_path / "p"))
    out = capfd.readouterr().out
    assert rc == 0, out
    assert (tmp_path / "out" / "decoder.onnx.data").exists()
    assert os.path.getsize(tmp_path / "out" / "decoder.onnx") < 200_000
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "decoder.onnx.data" in m["files"]


def test_train_twoSteps_thenResumes(tmp_path):
    cmd = [sys.executable, "-m", "gpt4roi_ref.train", "--out", str(tmp_path), "--steps", "2", "--batch", "2",
           "--workers", "0", "--save-every", "1", "--device", "cpu", "--tokenizer", TOKENIZER]
    r = subprocess.run(cmd, cwd=MODELS, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "done: step 2" in r.stdout
    cmd[cmd.index("--steps") + 1] = "3"
    r = subprocess.run(cmd, cwd=MODELS, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "resumed at step 2" in r.stdout and "done: step 3" in r.stdout
    assert (tmp_path / "model.pt").exists() and (tmp_path / "config.json").exists()


@needs_dotnet
def test_decoder_builder_matchesTorch_inOnnxRuntime(tmp_path, capfd):
    """The onnx.helper decoder (used for 7B) against the torch decoder, fp32 and int4 (against torch running
    the dequantised int4 weights, which checks the MatMulNBits packing exactly), in one parity run."""
    from gpt4roi_ref.decoder_builder import build_decoder, dequantize_int4, quantize_int4, state_dict_weights
    from gpt4roi_ref.export import KvDecoderGraph, graph_names, kv_sample, run_parity_tool, sample_inputs
    from gpt4roi_ref.tensorio import write_bundle
    pd = tmp_path / "parity"
    for variant in ("fp32", "int4"):
        model = fresh_model(5)
        path = str(tmp_path / f"decoder.{variant}.onnx")
        build_decoder(model.cfg, state_dict_weights(model.lm.state_dict()), path, variant, 32, external=True)
        if variant == "int4":
            with torch.no_grad():
                for k, v in model.lm.state_dict().items():
                    if k.endswith("proj.weight") or k == "lm_head.weight":
                        p, s, z = quantize_int4(v.numpy(), 32)
                        v.copy_(torch.from_numpy(dequantize_int4(p, s, z, v.shape[1])))
        names = graph_names(model.cfg)
        _, _, _, (embeds, pos, past) = sample_inputs(model)
        cache = kv_sample(past, pos)
        with torch.no_grad():
            outs = KvDecoderGraph(model)(embeds, pos, *cache)
        write_bundle(str(pd / f"{variant}.inputs.json"), dict(zip(names["decoder"]["inputs"], [embeds, pos, *cache])))
        write_bundle(str(pd / f"{variant}.outputs.json"), dict(zip(names["decoder"]["outputs"], outs)))
        (pd / f"{variant}.parity.json").write_text(json.dumps(
            {"graph": f"{variant}/decoder", "model": path, "inputs": f"{variant}.inputs.json",
             "outputs": f"{variant}.outputs.json", "tolerance": 1e-4}))
    rc = run_parity_tool(str(pd))
    out = capfd.readouterr().out
    assert rc == 0, out
    assert "parity: 18 outputs, 0 failed" in out
