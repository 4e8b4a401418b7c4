"""P3 baseline: decode speed of the PyTorch reference's KV-cached greedy loop on the shipped tiny model.

The loop is models/gpt4roi_ref/inference.py `Pipeline.generate` (greedy, temperature 0) step for step: prefill over the
spliced prompt, then per new token argmax, detokenise the answer so far and look for the stop string, embed the token
and run one decoder step with the past key/values. The one change: it does not stop at EOS or `###`, so every case
produces exactly its fixed answer length (the C# side must do the same to compare).

Image features and region embeddings are computed once per case, outside the timing. Per case and thread count it
reports the median over the iterations of: prefill seconds (tokenise + splice + first decoder call), loop seconds
(the `answer_tokens` steps) and decode tokens/s = answer_tokens / loop seconds.

Writes <run>/p3/python.json. The C# side of P3 is not written yet (docs/performance.md).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcommon as bc  # noqa: E402

sys.path.insert(0, bc.MODELS)

IMAGE = os.path.join(bc.REPO, "samples", "shapes.png")
# (name, question, boxes in pixels of samples/shapes.png); boxes from samples/batch/shapes.json
PROMPTS = (
    ("what_1_region", "What is <region1>?", [[95, 70, 215, 190]]),
    ("relation_2_regions", "Where is <region1> relative to <region2>?", [[95, 70, 215, 190], [396, 130, 476, 212]]),
)
ANSWER_TOKENS = (16, 64)
QUICK_ANSWER_TOKENS = (16,)


def fixed_length_generate(pipe, image_tokens, region_embeds, conv, answer_tokens: int):
    """Pipeline.generate with temperature 0, without the early exits; returns (prefill_s, loop_s, token_ids)."""
    import torch

    from gpt4roi_ref.config import STOP_STRING

    t0 = time.perf_counter()
    ids = pipe.tok.encode(conv.prompt(pipe.num_patches))
    input_ids = torch.tensor([ids], dtype=torch.long, device=pipe.device)
    regions = None
    if conv.bbox_regions:
        regions = [region_embeds[torch.tensor(conv.bbox_regions, device=pipe.device)]]
    embeds = pipe.model.splice(input_ids, image_tokens, regions)
    lm = pipe.model.lm
    n = len(ids)
    mask = torch.ones(1, n, dtype=torch.long, device=pipe.device)
    pos = torch.arange(n, device=pipe.device)[None]
    logits, past = lm.decode(embeds, mask, pos)
    t1 = time.perf_counter()
    out = []
    stopped = False
    for step in range(answer_tokens):
        next_logits = logits[0, -1].float()
        nxt = int(torch.argmax(next_logits))
        stopped = stopped or nxt == pipe.tok.eos_id
        out.append(nxt)
        text = pipe.tok.decode(out)
        stopped = stopped or STOP_STRING in text
        e = lm.model.embed_tokens(torch.tensor([[nxt]], device=pipe.device))
        mask = torch.ones(1, n + step + 1, dtype=torch.long, device=pipe.device)
        pos = torch.tensor([[n + step]], device=pipe.device)
        logits, past = lm.decode(e, mask, pos, past)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--model", default=os.path.join(bc.MODELS, "tiny"))
    args = ap.parse_args()
    load_start = bc.loadavg()

    import torch

    from gpt4roi_ref.evaluate import load_model
    from gpt4roi_ref.inference import Pipeline
    from gpt4roi_ref.preprocess import decode_image, pixels_from_image
    from gpt4roi_ref.prompt import Conversation

    threads = bc.parse_threads(args.threads)
    timing = bc.Timing.quick() if args.quick else bc.Timing.full()
    lengths = QUICK_ANSWER_TOKENS if args.quick else ANSWER_TOKENS
    bc.bench_dir(args.run, "P3")

    model, tok = load_model(args.model)
    pipe = Pipeline(model, tok)
    with open(IMAGE, "rb") as f:
        img = decode_image(f.read())
    results = []
    with torch.no_grad():
        image_tokens, maps = pipe.encode_image(pixels_from_image(img))
        for name, question, boxes in PROMPTS:
            conv = Conversation()
            conv.add_turn(question, boxes)
            _, regions = pipe.region_embeddings(maps, conv.boxes, img.width, img.height)
            for answer_tokens in lengths:
                for t in threads:
                    bc.set_threads(t)
                    for _ in range(max(1, timing.warmup)):
                        fixed_length_generate(pipe, image_tokens, regions, conv, answer_tokens)
                    prefill, loop = [], []
                    prompt_tokens = 0
                    for _ in range(timing.iterations):
                        p, lp, prompt_tokens = fixed_length_generate(pipe, image_tokens, regions, conv, answer_tokens)
                        prefill.append(p)
                        loop.append(lp)
                    med_loop = statistics.median(loop)
                    results.append({
                        "prompt": name, "answer_tokens": answer_tokens, "threads": t, "impl": "reference",
                        "prompt_tokens": prompt_tokens,
                        "prefill_median_s": statistics.median(prefill),
                        "loop_median_s": med_loop, "loop_min_s": min(loop),
                        "median_s": med_loop / answer_tokens, "min_s": min(loop) / answer_tokens,
                        "tokens_per_s": answer_tokens / med_loop,
                        "iterations": len(loop),
                    })
                    bc.log(f"P3 reference {name} answer={answer_tokens} threads={t}: "
                           f"{answer_tokens / med_loop:.1f} tokens/s, prefill {statistics.median(prefill) * 1e3:.1f} ms")

    bc.write_json(bc.result_file(args.run, "P3"), {
        "benchmark": "P3",
        "side": "python",
        "threads": threads,
        "timing": timing.as_json(),
        "settings": {"model": os.path.relpath(args.model, bc.REPO), "image": os.path.relpath(IMAGE, bc.REPO),
                     "prompts": [{"name": n, "question": q, "boxes": b} for n, q, b in PROMPTS],
                     "answer_tokens": lengths, "decoding": "greedy, no early stop"},
        "results": results,
        "loadavg": [load_start, bc.loadavg()],
        "versions": bc.versions(),
    })


if __name__ == "__main__":
    main()
