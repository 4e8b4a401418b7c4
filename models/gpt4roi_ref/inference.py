"""Reference inference: the whole GPT4RoI pipeline with a KV cache, greedy or sampled decoding."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import torch

from .config import STOP_STRING
from .modeling import GPT4RoI
from .preprocess import normalise_boxes
from .prompt import Conversation, Tokenizer, clean_answer


@dataclass
class Generation:
    prompt_ids: List[int]
    token_ids: List[int]
    text: str
    answer: str
    first_logits: torch.Tensor


def sampling_distribution(logits: torch.Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0):
    """The distribution a sampled step draws from, in transformers' order: logits / temperature, top-k (keep the
    logits >= the k-th largest), softmax, top-p (keep a token while the mass before it is < top_p). Returns the
    token ids by descending probability and their probabilities renormalised over the kept ones (0 elsewhere)."""
    scaled = logits / temperature
    if 0 < top_k < scaled.shape[-1]:
        kth = torch.topk(scaled, top_k).values[-1]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    probs = torch.softmax(scaled, dim=-1)
    sorted_p, order = torch.sort(probs, descending=True)
    keep = torch.cumsum(sorted_p, 0) - sorted_p < top_p
    sorted_p = sorted_p * keep
    return order, sorted_p / sorted_p.sum()


class Pipeline:
    def __init__(self, model: GPT4RoI, tokenizer: Tokenizer, device: str = "cpu"):
        self.model = model.eval()
        self.tok = tokenizer
        self.device = device
        self.num_patches = model.cfg.vision.num_patches

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor):
        return self.model.encode_image(pixels[None].to(self.device))

    @torch.no_grad()
    def region_embeddings(self, maps, boxes: Sequence[Sequence[float]], width: int, height: int):
        boxes_norm = normalise_boxes(boxes, width, height).to(self.device)
        idx = torch.zeros(boxes_norm.shape[0], dtype=torch.long, device=self.device)
        return self.model.region_embeddings(maps, boxes_norm, idx)

    @torch.no_grad()
    def generate(self, image_tokens, region_embeds: Optional[torch.Tensor], conv: Conversation,
                 max_new_tokens: int = 32, temperature: float = 0.0, top_p: float = 1.0,
                 generator: Optional[torch.Generator] = None, top_k: int = 0) -> Generation:
        """Greedy when temperature <= 0. Sampling applies, in transformers' order: temperature, then top-k
        (keep the k largest logits; 0 = off), then top-p (nucleus), then draws."""
        ids = self.tok.encode(conv.prompt(self.num_patches))
        input_ids = torch.tensor([ids], dtype=torch.long, device=self.device)
        regions = None
        if conv.bbox_regions:
            regions = [region_embeds[torch.tensor(conv.bbox_regions, device=self.device)]]
        embeds = self.model.splice(input_ids, image_tokens, regions)
        lm = self.model.lm
        n = len(ids)
        mask = torch.ones(1, n, dtype=torch.long, device=self.device)
        pos = torch.arange(n, device=self.device)[None]
        logits, past = lm.decode(embeds, mask, pos)
        first_logits = logits[0, -1].float().cpu()
        out: List[int] = []
        text = ""
        for step in range(max_new_tokens):
            next_logits = logits[0, -1].float()
            if temperature <= 0:
                nxt = int(torch.argmax(next_logits))
            else:
                order, sorted_p = sampling_distribution(next_logits, temperature, top_k, top_p)
                nxt = int(order[torch.multinomial(sorted_p, 1, generator=generator)])
            if nxt == self.tok.eos_id:
                break
            out.append(nxt)
            text = self.tok.decode(out)
            if STOP_STRING in text:
                break
            e = lm.model.embed_tokens(torch.tensor([[nxt]], device=self.device))
            mask = torch.ones(1, n + step + 1, dtype=torch.long, device=self.device)
            pos = torch.tensor([[n + step]], device=self.device)
            logits, past = lm.decode(e, mask, pos, past)
        return Generation(ids, out, text, clean_answer(text), first_logits)
