"""Train the tiny model's SentencePiece tokenizer (BPE, byte fallback, LLaMA-like settings)."""
from __future__ import annotations

import argparse
import os
import tempfile

from .config import TINY_BASE_VOCAB
from .shapes import tokenizer_corpus


def train_tokenizer(out_path: str, vocab_size: int = TINY_BASE_VOCAB, cases: int = 3000, seed_base: int = 10_000_000) -> None:
    import sentencepiece as spm
    lines = tokenizer_corpus(range(seed_base, seed_base + cases))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        prefix = os.path.join(tmp, "tok")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, vocab_size=vocab_size, model_type="bpe",
            byte_fallback=True, split_digits=True, normalization_rule_name="identity",
            add_dummy_prefix=True, remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
            character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
            input_sentence_size=0, shuffle_input_sentence=False, num_threads=1,
            hard_vocab_limit=True, minloglevel=2)
        with open(prefix + ".model", "rb") as src, open(out_path, "wb") as dst:
            dst.write(src.read())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--vocab-size", type=int, default=TINY_BASE_VOCAB)
    a = p.parse_args()
    train_tokenizer(a.out, a.vocab_size)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
