"""Benchmark storydiff's article extraction against plain trafilatura on the article-extraction dataset.

Scoring (the dataset README): lower-case word tokens, 4-token shingles, per-page precision, recall and
F1 over shingle counts, averaged over pages. Both systems run in the same process on the same pages.

    .venv/bin/python bench/extraction_bench.py [--dataset DIR] [--limit N] [--worst K]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "article-extraction"
SHINGLE = 4  # tokens per shingle, as the dataset's benchmark scores
_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Counts of `size`-token shingles of lower-cased word tokens (the whole text when shorter)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def score(truth: str, extracted: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the extracted text's shingles against the true body."""
    want, got = shingles(truth), shingles(extracted)
    if not want and not got:
        return 1.0, 1.0, 1.0
    hit = sum((want & got).values())
    p = hit / sum(got.values()) if got else 0.0
    r = hit / sum(want.values()) if want else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def load(dataset: Path, limit: int | None) -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) for every page of the dataset."""
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((dataset / "html" / f"{page_id}.html.gz").read_bytes()).decode(
            "utf-8", "replace"
        )
        pages.append(
            (page_id, truth[page_id].get("url") or "", html, truth[page_id].get("articleBody") or "")
        )
    return pages


def trafilatura_default(html: str, url: str) -> str:
    """Plain trafilatura with default settings (the baseline)."""
    import trafilatura

    return trafilatura.extract(html, url=url or None) or ""


def storydiff_extract(html: str, url: str) -> str:
    """storydiff's extraction: the article body, or "" when it reports no article."""
    from storydiff.errors import NoArticleError
    from storydiff.ingest.extract import extract_html

    try:
        return extract_html(html, url=url).body
    except NoArticleError:
        return ""


def run_all(
    systems: dict[str, Callable[[str, str], str]], pages: list[tuple[str, str, str, str]]
) -> list[dict[str, object]]:
    """Extract every page with every system, interleaved page by page so machine load hits all alike."""
    elapsed = dict.fromkeys(systems, 0.0)
    outputs: dict[str, dict[str, str]] = {name: {} for name in systems}
    for page_id, url, html, _ in pages:
        for name, fn in systems.items():
            start = time.perf_counter()
            outputs[name][page_id] = fn(html, url)
            elapsed[name] += time.perf_counter() - start
    results = []
    n = len(pages)
    for name in systems:
        per_page = {page_id: score(truth, outputs[name][page_id]) for page_id, _, _, truth in pages}
        results.append(
            {
                "name": name,
                "P": sum(s[0] for s in per_page.values()) / n,
                "R": sum(s[1] for s in per_page.values()) / n,
                "F1": sum(s[2] for s in per_page.values()) / n,
                "pages_per_s": n / elapsed[name] if elapsed[name] else float("inf"),
                "per_page": per_page,
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Run both systems and print the table; exit 1 when a bar of issue 8 is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list the K pages where storydiff loses most F1")
    args = parser.parse_args(argv)
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    pages = load(args.dataset, args.limit)
    # warm both up (imports, lxml) so neither pays start-up cost inside the timing
    trafilatura_default(pages[0][2], pages[0][1])
    storydiff_extract(pages[0][2], pages[0][1])
    base, ours = run_all(
        {"trafilatura (default)": trafilatura_default, "storydiff": storydiff_extract}, pages
    )
    print(f"{len(pages)} pages from {args.dataset}")
    print(f"{'system':<24} {'P':>6} {'R':>6} {'F1':>6} {'pages/s':>8}")
    for res in (base, ours):
        print(f"{res['name']:<24} {res['P']:6.3f} {res['R']:6.3f} {res['F1']:6.3f} {res['pages_per_s']:8.1f}")
    df1 = ours["F1"] - base["F1"]  # type: ignore[operator]
    speed = ours["pages_per_s"] / base["pages_per_s"]  # type: ignore[operator]
    bars = {
        "F1 >= trafilatura + 0.01": df1 >= 0.01,
        "precision >= 0.96": ours["P"] >= 0.96,  # type: ignore[operator]
        "speed >= 0.5x trafilatura": speed >= 0.5,
    }
    print(f"delta F1 {df1:+.3f}, speed ratio {speed:.2f}x")
    for bar, ok in bars.items():
        print(f"  {'ok  ' if ok else 'MISS'} {bar}")
    if args.worst:
        ppo, ppb = ours["per_page"], base["per_page"]
        worst = sorted(ppo, key=lambda k: ppo[k][2] - ppb[k][2])[: args.worst]  # type: ignore[index]
        for k in worst:
            print(
                f"  {k}: storydiff P/R/F1 {ppo[k][0]:.2f}/{ppo[k][1]:.2f}/{ppo[k][2]:.2f}"  # type: ignore[index]
                f"  trafilatura {ppb[k][0]:.2f}/{ppb[k][1]:.2f}/{ppb[k][2]:.2f}"
            )  # type: ignore[index]
    return 0 if all(bars.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
