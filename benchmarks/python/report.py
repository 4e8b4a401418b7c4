"""Prints the benchmark report of one run folder (scripts/bench.sh calls it last).

    /usr/bin/python3 benchmarks/python/report.py RUN_DIR [--load-start "a b c"] [--load-end "a b c"]

Reads RUN_DIR/machine.json, csharp-env.json and, per benchmark, pN/python.json (baseline) and pN/csharp.json (C#),
and prints the machine, then one Markdown table per benchmark: case, C# figure, baseline figure, ratio, goal, met,
and the max abs error where outputs are compared. Also writes RUN_DIR/summary.json (one row per compared case).

Ratio = baseline median / C# median (seconds per operation; above 1 means C# is faster). The ratio of the fastest
iterations (min) is printed next to it: on a shared machine it is the less noisy of the two.

Adding a benchmark: write `pN(...)` returning its lines and rows, and register it in REPORTS.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable, Dict, List, Optional, Tuple

Row = Dict[str, object]


def load(path: str) -> Optional[dict]:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def ms(seconds: Optional[float]) -> str:
    if seconds is None:
        return "n/a"
    v = seconds * 1e3
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    if v >= 1:
        return f"{v:.2f} ms"
    return f"{v:.3f} ms"


def ratio(base: Optional[float], mine: Optional[float]) -> Optional[float]:
    if not base or not mine:
        return None
    return base / mine


def fx(r: Optional[float]) -> str:
    return "n/a" if r is None else (f"{r:.1f}x" if r >= 10 else f"{r:.2f}x")


def err(e: Optional[float]) -> str:
    if e is None:
        return "n/a"
    return "0" if e == 0 else f"{e:.1e}"


def table(header: List[str], rows: List[List[str]]) -> List[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]


def find(results: List[dict], **keys) -> Optional[dict]:
    for r in results:
        if all(r.get(k) == v for k, v in keys.items()) and "error" not in r:
            return r
    return None


def met(value: Optional[float], goal: float, above: bool = True) -> str:
    if value is None:
        return "n/a"
    ok = value >= goal if above else value <= goal
    return "met" if ok else "NOT met"


# ------------------------------------------------------------------------------------------------ P1


def p1(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P1 RoIAlign: GPT4RoI-7B shapes (4 levels, 1024 channels, maps 128/64/32/16, 14x14, sampling 2, aligned)",
           ""]
    if not py or not cs or cs.get("not_implemented"):
        return out + ["(missing results: run `bash scripts/bench.sh P1`)"], []
    pr, cr = py["results"], cs["results"]
    errors = {e["boxes"]: e for e in cs.get("errors", [])}
    cases = sorted({(r["boxes"], r["threads"]) for r in cr})
    out += ["Layouts: C# gets the channels-last maps [S,S,C] (the engine's) and writes [N,4,14,14,C]; ONNX Runtime's",
            "RoiAlign-16 (one node per level, half_pixel, avg) and torchvision roi_align(aligned=True) get their native",
            "NCHW maps, transposed once before timing (not counted). \"ORT + transposes\" is the same node with the",
            "channels-last map in and out through Transpose nodes, counted. Threads: C# RoiAlign.Compute at 1,",
            "RoiAlign.ComputeParallel(MaxDegreeOfParallelism=T) above; ORT intra-op threads T; torch.set_num_threads(T)",
            "(torchvision's CPU roi_align is single-threaded).", ""]
    rows_ort, rows_tv, rows_opt, summary = [], [], [], []
    for boxes, t in cases:
        c = find(cr, impl="CSharp", boxes=boxes, threads=t)
        o = find(cr, impl="OrtNchw", boxes=boxes, threads=t)
        on = find(cr, impl="OrtNhwc", boxes=boxes, threads=t)
        v0 = find(cr, impl="CSharpBefore", boxes=boxes, threads=t)
        tv = find(pr, impl="torchvision", boxes=boxes, threads=t)
        e = errors.get(boxes, {})
        cm, cmin = (c or {}).get("median_s"), (c or {}).get("min_s")
        r_ort = ratio((o or {}).get("median_s"), cm)
        r_tv = ratio((tv or {}).get("median_s"), cm)
        rows_ort.append([boxes, t, ms(cm), ms((o or {}).get("median_s")),
                         f"{fx(r_ort)} ({fx(ratio((o or {}).get('min_s'), cmin))})", ">= 3x", met(r_ort, 3),
                         ms((on or {}).get("median_s")), fx(ratio((on or {}).get("median_s"), cm)),
                         err(e.get("ort_vs_torchvision"))])
        e_tv = e.get("csharp_vs_torchvision")
        rows_tv.append([boxes, t, ms(cm), ms((tv or {}).get("median_s")),
                        f"{fx(r_tv)} ({fx(ratio((tv or {}).get('min_s'), cmin))})", ">= 5x", met(r_tv, 5),
                        err(e_tv), met(e_tv, 1e-5, above=False)])
        rows_opt.append([boxes, t, ms((v0 or {}).get("median_s")), ms(cm), fx(ratio((v0 or {}).get("median_s"), cm)),
                         err(e.get("csharp_vs_before")), err(e.get("csharp_parallel_vs_serial"))])
        summary += [
            {"benchmark": "P1", "case": f"{boxes} boxes, {t} threads", "baseline": "onnxruntime RoiAlign (NCHW)",
             "csharp_s": cm, "baseline_s": (o or {}).get("median_s"), "ratio": r_ort, "goal": 3.0},
            {"benchmark": "P1", "case": f"{boxes} boxes, {t} threads", "baseline": "torchvision roi_align",
             "csharp_s": cm, "baseline_s": (tv or {}).get("median_s"), "ratio": r_tv, "goal": 5.0,
             "max_abs_error": e_tv},
        ]
    out += ["### P1a: C# vs ONNX Runtime RoiAlign (goal >= 3x)", ""]
    out += table(["boxes", "threads", "C#", "ORT (NCHW)", "ratio (min)", "goal", "", "ORT + transposes", "ratio",
                  "ORT max abs err vs torchvision"], [[str(x) for x in r] for r in rows_ort])
    out += ["", "### P1b: C# vs torchvision roi_align (goal >= 5x, max abs error <= 1e-5)", ""]
    out += table(["boxes", "threads", "C#", "torchvision", "ratio (min)", "goal", "", "max abs err", "<= 1e-5"],
                 [[str(x) for x in r] for r in rows_tv])
    out += ["", "### P1c: C# before (main@5bf60bf) vs now (same inputs, same run)", ""]
    out += table(["boxes", "threads", "C# before", "C# now", "speed-up", "max abs diff", "parallel vs serial"],
                 [[str(x) for x in r] for r in rows_opt])
    odd = cs.get("odd_shapes")
    if odd:
        out += ["", f"Bitwise check of C# now vs before and ComputeParallel vs Compute on {odd['cases']} other shapes "
                    f"(channels 1-1030, sampling 0-3, output 1-14, boxes partly outside, 1-3 threads): "
                    f"{odd['differing']} differ."]
    return out, summary


# ------------------------------------------------------------------------------------------------ P2


def p2(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P2 Image input: decode + preprocess to [3,224,224] (1, 4, 12 MP JPEG q90 4:2:0 and PNG)", ""]
    if not py or not cs or cs.get("not_implemented"):
        return out + ["(missing results: run `bash scripts/bench.sh P2`)"], []
    pr, cr = py["results"], cs["results"]
    errors = {e["image"]: e for e in cs.get("errors", [])}
    images = [im["name"] for im in py["settings"]["images"]]
    sizes = {im["name"]: im for im in py["settings"]["images"]}
    out += ["C#: ImageDecoder.Decode (what the engine calls: checks, ImageSharp 2.1 decode, libjpeg-style chroma",
            "upsampling for subsampled JPEG, EXIF orientation, SHA-256) + ImagePreprocessor.WritePixels, one thread.",
            "Reference: models/gpt4roi_ref/preprocess.py decode_image (PIL open, exif_transpose, convert RGB) +",
            "pixels_from_image (torch bilinear, no antialias, /255, CLIP mean/std), torch.set_num_threads(1).",
            "Pixel error: max abs difference of the normalised pixels, C# vs reference (PNG must be ~5e-7; JPEG",
            "differs by the IDCT, known ~3e-2).", ""]
    rows, rows_split, summary = [], [], []
    for name in images:
        c = {s: find(cr, impl=s, image=name)
             for s in ("Total", "Decode", "DecodeImageSharp", "Preprocess", "PreprocessBefore")}
        r = {s: find(pr, impl="reference", image=name, stage=s, threads=1) for s in ("total", "decode", "preprocess")}
        cm = (c["Total"] or {}).get("median_s")
        rm = (r["total"] or {}).get("median_s")
        rt = ratio(rm, cm)
        e = errors.get(name, {}).get("csharp_vs_reference")
        im = sizes[name]
        case = f"{name} ({im['width']}x{im['height']}, {im['bytes'] / 1e6:.1f} MB)"
        rows.append([case, ms(cm), ms(rm),
                     f"{fx(rt)} ({fx(ratio((r['total'] or {}).get('min_s'), (c['Total'] or {}).get('min_s')))})",
                     ">= 2x", met(rt, 2), err(e)])
        rows_split.append([name, ms((c["Decode"] or {}).get("median_s")), ms((c["DecodeImageSharp"] or {}).get("median_s")),
                           ms((r["decode"] or {}).get("median_s")),
                           fx(ratio((r["decode"] or {}).get("median_s"), (c["Decode"] or {}).get("median_s"))),
                           ms((c["Preprocess"] or {}).get("median_s")), ms((r["preprocess"] or {}).get("median_s")),
                           fx(ratio((r["preprocess"] or {}).get("median_s"), (c["Preprocess"] or {}).get("median_s"))),
                           ms((c["PreprocessBefore"] or {}).get("median_s")),
                           fx(ratio((c["PreprocessBefore"] or {}).get("median_s"), (c["Preprocess"] or {}).get("median_s")))])
        summary.append({"benchmark": "P2", "case": name, "baseline": "PIL + torch reference", "csharp_s": cm,
                        "baseline_s": rm, "ratio": rt, "goal": 2.0, "max_abs_error": e})
    out += table(["image", "C#", "reference", "ratio (min)", "goal", "", "max abs pixel diff"], rows)
    out += ["", "Where the time goes (medians; ratio = reference / C#; \"plain ImageSharp\" = Image.Load<Rgb24> of the same",
            "bytes, without ImageDecoder's checks and exact-colour JPEG path; \"before\" = ImagePreprocessor at main@5bf60bf):",
            ""]
    out += table(["image", "C# decode", "plain ImageSharp", "ref decode", "ratio", "C# preprocess", "ref preprocess", "ratio",
                  "C# preprocess before", "speed-up"], rows_split)
    return out, summary


# ------------------------------------------------------------------------------------------------ P3..P7


def p3(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P3 Decode tokens/s (tiny model, greedy, fixed answer length) vs the reference's KV-cached loop", ""]
    if not py or not cs:
        return out + ["(missing results: run `bash scripts/bench.sh P3`)"], []
    out += ["Reference: benchmarks/python/p3_decode.py (Pipeline.generate's loop: per token argmax, detokenise, one decoder",
            "step with past key/values). C#: the engine's decode loop (fixed-capacity KV cache, IO binding, batched steps),",
            "one conversation at a time. tokens/s = decoder steps per second after the prefill, on both sides. Goals:",
            ">= 5x the reference; <= 256 managed bytes allocated per token by the decode loop (steady state).", ""]
    rows, summary = [], []
    for r in py["results"]:
        c = find(cs["results"], prompt=r["prompt"], answer_tokens=r["answer_tokens"], threads=r["threads"]) or {}
        rt = ratio(r.get("median_s"), c.get("median_s"))
        rmin = ratio(r.get("min_s"), c.get("min_s"))
        b = c.get("allocated_bytes_per_token")
        rows.append([r["prompt"], str(r["prompt_tokens"]), str(r["answer_tokens"]), str(r["threads"]),
                     f"{c['tokens_per_s']:.1f}" if c else "-", f"{r['tokens_per_s']:.1f}", f"{fx(rt)} ({fx(rmin)})",
                     ">= 5x", met(rt, 5), ms(c.get("prefill_median_s")), ms(r.get("prefill_median_s")),
                     f"{b:.0f}" if b is not None else "-", met(b, 256, above=False)])
        summary.append({"benchmark": "P3", "case": f"{r['prompt']} answer={r['answer_tokens']} threads={r['threads']}",
                        "baseline": "PyTorch reference loop", "csharp_s": c.get("median_s"),
                        "baseline_s": r.get("median_s"), "ratio": rt, "goal": 5.0, "bytes_per_token": b})
    out += table(["prompt", "prompt tokens", "answer tokens", "threads", "C# tokens/s", "reference tokens/s",
                  "ratio (min)", "goal", "", "C# prefill", "reference prefill", "B/token", "<= 256"], rows)
    return out, summary


def csharp_only(cs: Optional[dict], bench: str) -> Optional[List[dict]]:
    if not cs or cs.get("not_implemented"):
        return None
    return cs["results"]


def p4(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P4 Multi-turn: turn-2 latency / turn-1 latency (same answer length)", ""]
    res = csharp_only(cs, "P4")
    if res is None:
        return out + ["(missing results: run `bash scripts/bench.sh P4`)"], []
    out += ["Turn 1: a new conversation (image encoded with the feature cache off, region embedded, whole prompt",
            "prefilled, answer). Turn 2: the same conversation, a new region, the same answer length: features kept,",
            "the earlier keys/values reused, only the new tokens prefilled. Goal: turn 2 <= 35% of turn 1.", ""]
    rows, summary = [], []
    for r in res:
        rows.append([str(r["answer_tokens"]), str(r["threads"]), ms(r["turn1_median_s"]), ms(r["turn2_median_s"]),
                     f"{r['ratio']:.0%}", "<= 35%", met(r["ratio"], 0.35, above=False),
                     str(r["turn2_reused_prompt_tokens"])])
        summary.append({"benchmark": "P4", "case": f"answer={r['answer_tokens']} threads={r['threads']}",
                        "baseline": "turn 1", "csharp_s": r["turn2_median_s"], "baseline_s": r["turn1_median_s"],
                        "ratio": r["ratio"], "goal": 0.35})
    out += table(["answer tokens", "threads", "turn 1", "turn 2", "turn 2 / turn 1", "goal", "", "prompt tokens reused"],
                 rows)
    return out, summary


def p5(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P5 Glue: end-to-end ask vs the time inside ONNX Runtime", ""]
    res = csharp_only(cs, "P5")
    if res is None:
        return out + ["(missing results: run `bash scripts/bench.sh P5`)"], []
    out += ["End to end: image bytes decoded, image encoded (feature cache off), regions embedded, prompt prefilled,",
            "16 answer tokens, answer cleaned. ONNX Runtime: the engine's own clock around every Run (vision, region",
            "head, decoder prefill and steps). Glue = end to end - ONNX Runtime. Goal: glue <= 10%.", ""]
    rows, summary = [], []
    for r in res:
        rows.append([r["prompt"], str(r["threads"]), ms(r["end_to_end_median_s"]), ms(r["ort_median_s"]),
                     ms(r["vision_median_s"]), ms(r["region_head_median_s"]), ms(r["prefill_median_s"]),
                     ms(r["steps_median_s"]), f"{r['glue_share_median']:.1%}", "<= 10%",
                     met(r["glue_share_median"], 0.10, above=False)])
        summary.append({"benchmark": "P5", "case": f"{r['prompt']} threads={r['threads']}", "baseline": "ORT runs",
                        "csharp_s": r["end_to_end_median_s"], "baseline_s": r["ort_median_s"],
                        "ratio": r["glue_share_median"], "goal": 0.10})
    out += table(["prompt", "threads", "end to end", "in ORT", "vision", "region head", "prefill", "steps", "glue",
                  "goal", ""], rows)
    return out, summary


def p6(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P6 Concurrency: questions at once on one engine vs one after another", ""]
    res = csharp_only(cs, "P6")
    if res is None:
        return out + ["(missing results: run `bash scripts/bench.sh P6`)"], []
    out += ["Each question its own conversation about samples/shapes.png, 32-token answers, image encoded beforehand.",
            "Ratio = sequential seconds / concurrent seconds (throughput). Goal: >= 2.5x at 8.", ""]
    rows, summary = [], []
    for r in res:
        goal = 2.5 if r["questions"] == 8 else None
        rows.append([str(r["questions"]), str(r["max_batch"]), str(r["threads"]), ms(r["sequential_median_s"]),
                     ms(r["concurrent_median_s"]), f"{r['concurrent_tokens_per_s']:.0f}", f"{r['average_batch']:.1f}",
                     fx(r["ratio"]), ">= 2.5x" if goal else "-", met(r["ratio"], goal) if goal else ""])
        summary.append({"benchmark": "P6", "case": f"{r['questions']} questions batch={r['max_batch']} threads={r['threads']}",
                        "baseline": "sequential", "csharp_s": r["concurrent_median_s"],
                        "baseline_s": r["sequential_median_s"], "ratio": r["ratio"], "goal": goal})
    out += table(["questions", "batch capacity", "threads", "sequential", "concurrent", "tokens/s at once",
                  "average batch", "ratio", "goal", ""], rows)
    return out, summary


def p7(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P7 Cold start: a new `gpt4roi ask` process vs model load + one warm query", ""]
    res = csharp_only(cs, "P7")
    if res is None:
        return out + ["(missing results: run `bash scripts/bench.sh P7`)"], []
    out += ["Cold: `dotnet gpt4roi.dll ask samples/shapes.png --region 95,70,215,190 \"What is <region1>?\" --cpu`, process",
            "start to exit, as built (JIT) and published ReadyToRun. Warm: in this process, loading the engine + one",
            "query on an engine that answered before (feature cache off). Goal: cold <= 1.3x (load + warm query).", ""]
    rows, summary = [], []
    for r in res:
        base = r["load_median_s"] + r["warm_query_median_s"]
        rows.append([r.get("cli", "build (JIT)"), ms(r["cold_process_median_s"]), ms(r["load_median_s"]), ms(r["warm_query_median_s"]),
                     f"{r['ratio']:.2f}", "<= 1.3", met(r["ratio"], 1.3, above=False), r.get("answer", "")])
        summary.append({"benchmark": "P7", "case": f"ask, {r.get('cli', 'build (JIT)')}", "baseline": "load + warm query",
                        "csharp_s": r["cold_process_median_s"], "baseline_s": base, "ratio": r["ratio"], "goal": 1.3})
    out += table(["CLI", "cold process", "load", "warm query", "cold / (load + query)", "goal", "", "answer"], rows)
    return out, summary


def p8(py: Optional[dict], cs: Optional[dict]) -> Tuple[List[str], List[Row]]:
    out = ["## P8 Detector decode + class-aware NMS (tiny detector raw outputs of fresh scenes; a dense 10,000-anchor output)", ""]
    if not py or not cs or cs.get("not_implemented"):
        return out + ["(missing results: run `bash scripts/bench.sh P8`)"], []
    n = py["settings"]["scenes"]
    checks = cs.get("checks", {})
    out += ["C#: DetectionDecoder.DecodeYolo (vectorised best class, sorted keys, candidates capped at 3000, vectorised",
            "IoU pass over float64 boxes), one thread. Reference: models/gpt4roi_ref/detector_postprocess.py postprocess",
            "(numpy), and the torchvision.ops.batched_nms variant; torch at 1 thread. Per scene = one pass over all "
            f"{n} scenes / {n}.",
            f"Same kept anchors as the reference on {checks.get('scenes_same_anchors', '?')} of {n} scenes "
            f"({checks.get('scenes_differing', '?')} differ); dense: {checks.get('dense_kept', '?')} kept, "
            f"{checks.get('dense_kept_also_in_reference', '?')} of them also kept by the uncapped reference, "
            f"{checks.get('dense_capped_candidates', '?')} candidates dropped by the cap.", ""]
    rows, summary = [], []
    for case, impl in (("scenes", "Scenes"), ("dense_10000", "Dense10000")):
        c = find(cs["results"], impl=impl) or {}
        cm, cmin = c.get("median_s"), c.get("min_s")
        if case == "scenes" and cm is not None:
            cm, cmin = cm / n, (cmin / n if cmin is not None else None)
        for base in ("numpy_reference", "torchvision_batched_nms"):
            r = find(py["results"], case=case, impl=base) or {}
            rt = ratio(r.get("median_s"), cm)
            rows.append([case, base, ms(cm), ms(r.get("median_s")), f"{fx(rt)} ({fx(ratio(r.get('min_s'), cmin))})"])
            summary.append({"benchmark": "P8", "case": f"{case} vs {base}", "baseline": base, "csharp_s": cm,
                            "baseline_s": r.get("median_s"), "ratio": rt, "goal": None, "max_abs_error": None})
    out += table(["case", "baseline", "C# per op", "baseline per op", "ratio (min)"], rows)
    return out, summary


REPORTS: Dict[str, Callable[[Optional[dict], Optional[dict]], Tuple[List[str], List[Row]]]] = {
    "P1": p1,
    "P2": p2,
    "P3": p3,
    "P4": p4,
    "P5": p5,
    "P6": p6,
    "P7": p7,
    "P8": p8,
}


def machine_lines(run: str, load_start: str, load_end: str) -> List[str]:
    m = load(os.path.join(run, "machine.json")) or {}
    env = load(os.path.join(run, "csharp-env.json")) or {}
    mach, pyv = m.get("machine", {}), m.get("python", {})
    lines = ["# GPT4RoI benchmarks", "",
             f"- Machine: {mach.get('cpu_model', '?')} ({mach.get('logical_cpus', '?')} logical CPUs, "
             f"{mach.get('usable_cpus', '?')} usable, {mach.get('cpu_mhz', '?')} MHz; SIMD {' '.join(mach.get('simd', []))}), "
             f"{mach.get('memory_gib', '?')} GiB, {mach.get('os', '?')}, kernel {mach.get('kernel', '?')}",
             f"- Load average (1/5/15 min) at start: {load_start or ' '.join(mach.get('loadavg', []))}"
             + (f"; at end: {load_end}" if load_end else "") + " (other work on the machine makes every figure noisy)",
             f"- C#: {env.get('dotnet', '?')}, Vector<float> {env.get('vector_float_lanes', '?')} lanes "
             f"(Vector512 accelerated: {env.get('vector512_accelerated', '?')}), ONNX Runtime {env.get('onnxruntime', '?')}, "
             f"BenchmarkDotNet {env.get('benchmarkdotnet', '?')} (in process), ImageSharp {env.get('imagesharp', '?')}",
             f"- Python {pyv.get('python', '?')}: torch {pyv.get('torch', '?')}, torchvision {pyv.get('torchvision', '?')}, "
             f"numpy {pyv.get('numpy', '?')}, PIL {pyv.get('PIL', '?')}, onnx {pyv.get('onnx', '?')}"]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--load-start", default="")
    ap.add_argument("--load-end", default="")
    args = ap.parse_args()
    lines = machine_lines(args.run, args.load_start, args.load_end)
    timing = None
    summary: List[Row] = []
    for bench, report in REPORTS.items():
        py = load(os.path.join(args.run, bench.lower(), "python.json"))
        cs = load(os.path.join(args.run, bench.lower(), "csharp.json"))
        if py is None and cs is None:
            continue
        timing = timing or (py or {}).get("timing")
        body, rows = report(py, cs)
        loads = [f"{side} {d['loadavg'][0]:.1f} -> {d['loadavg'][1]:.1f}" for side, d in (("baseline", py), ("C#", cs))
                 if d and d.get("loadavg") and None not in d["loadavg"]]
        if loads:
            body = body[:2] + ["Load average (1 min) while measuring: " + ", ".join(loads) + ".", ""] + body[2:]
        lines += [""] + body
        summary += rows
    if timing:
        quick = timing["iterations"] < 15
        lines.insert(6, "- Timing: " + (
            "QUICK smoke run (1 warm-up, 3 iterations): the figures only show that everything runs"
            if quick else
            f"both sides {timing['warmup']} warm-up calls, then {timing['iterations']} iterations of ~"
            f"{timing['iteration_s'] * 1e3:.0f} ms (BenchmarkDotNet in process for C#; benchmarks/python/benchcommon.py)")
            + "; figure = median time per call; ratio = baseline / C# (above 1: C# faster), in brackets the same "
              "on the fastest iteration")
    print("\n".join(lines))
    with open(os.path.join(args.run, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    bad = [r for r in summary if r.get("ratio") is None]
    if bad:
        print(f"\n{len(bad)} case(s) without a figure on one side (see pN/bdn.log)", file=sys.stderr)


if __name__ == "__main__":
    main()
