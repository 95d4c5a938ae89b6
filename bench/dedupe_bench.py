"""Near-duplicate benchmark: precision/recall on edited reprints of the allsides articles, and speed.

The corpus: every allsides article as an original, plus edited reprints of half of them (changed
headline, trimmed last paragraph, added byline, re-ordered paragraphs, alone or combined); the
other outlets' reports of the same story are the hard negatives. Time is printed as a ratio to
computing the MinHash signatures alone in the same run (the floor of any MinHash approach).

    .venv/bin/python bench/dedupe_bench.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from datasketch import MinHash

from storydiff.stories._synthetic import reprint_corpus
from storydiff.stories.datasets import read_allsides
from storydiff.stories.dedupe import NUM_PERM, SCHEME, DedupeIndex, DedupeOptions, shingles

SHARED = Path(os.environ.get("STORYDIFF_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def main() -> int:
    path = SHARED / "datasets" / "allsides-roundups" / "articles.jsonl"
    if not path.exists():
        print(f"{path} is missing", file=sys.stderr)
        return 1
    originals, _ = read_allsides(path)
    stream, gold = reprint_corpus(originals, share=0.5, seed=11)
    options = DedupeOptions()

    start = time.perf_counter()
    for art in stream:  # baseline: signatures only, no index, no verification, no diffs
        sig = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
        sig.update_batch([s.encode() for s in shingles(art.body, options.shingle_words)])
    base_s = time.perf_counter() - start

    index = DedupeIndex(options)
    predicted = {}
    start = time.perf_counter()
    for art in stream:
        found = index.add(art)
        if found:
            predicted[art.id] = found.duplicate_of
    run_s = time.perf_counter() - start

    right = sum(1 for k, v in predicted.items() if gold.get(k) == v)
    wrong = {k: v for k, v in predicted.items() if gold.get(k) != v}
    print(f"options: {options}")
    print(f"corpus: {len(stream)} articles, {len(gold)} edited reprints")
    print(f"precision {right / max(len(predicted), 1):.4f}  recall {right / len(gold):.4f}  "
          f"(false copies {len(wrong)}, missed {len(gold) - right})")
    print(f"time: {run_s:.2f} s ({len(stream) / run_s:,.0f} articles/s); signatures alone {base_s:.2f} s; "
          f"ratio {run_s / base_s:.2f}")
    for k, v in list(wrong.items())[:5]:
        print(f"  false copy: {k} -> {v} (in the source, some outlets reprint each other)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
