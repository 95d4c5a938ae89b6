"""Machine-translation check of a store: each independent report scored once, so stories can be filtered by it.

Ingest leaves this out on purpose: the check needs the NER model (a lone surname spelled three ways is
only evidence once it is known to be a person), which costs several times the extraction itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from storydiff.analyze import AnalyzeOptions
from storydiff.model import Article
from storydiff.resolve.mt import article_signal
from storydiff.store import Store

BATCH = 64  # reports checked between two commits: an interrupted check loses at most this much work
IN_PROCESS_BELOW = 16  # fewer unchecked reports than this are checked without starting workers
MAX_LISTED = 20  # flagged reports kept in the summary for display


@dataclass(frozen=True, slots=True)
class Flagged:
    """One report the check flagged, with its evidence."""

    article_id: str
    outlet: str
    title: str
    score: float
    evidence: tuple[str, ...]


@dataclass(slots=True)
class MtCheckSummary:
    """What one `mt-check` run did."""

    checked: int = 0
    flagged: int = 0
    failed: int = 0
    examples: list[Flagged] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {"checked": self.checked, "flagged": self.flagged, "failed": self.failed,
                "examples": [asdict(f) for f in self.examples]}


def _check_many(articles: Sequence[Article], use_model: bool) -> list[tuple[str, float, bool, tuple[str, ...]]]:
    """Worker task: the signal of each article; an article the analysis cannot read scores 0 with the reason."""
    out = []
    options = AnalyzeOptions(use_model=use_model)
    for art in articles:
        try:
            sig = article_signal(art, options)
            out.append((art.id, float(sig.score), bool(sig.flag), tuple(sig.evidence)))
        except Exception as exc:  # noqa: BLE001 - one unreadable report must not stop the check
            out.append((art.id, 0.0, False, (f"not checked: {type(exc).__name__}: {exc}"[:200],)))
    return out


def check_store(store: Store, *, workers: int | None = None, use_model: bool = True,
                on_progress: Callable[[int, int], None] | None = None) -> MtCheckSummary:
    """Score every unchecked independent report of the store for machine translation; resumable by batch."""
    summary = MtCheckSummary()
    with store.writer_lock():
        total = store.mt_counts()["unchecked"]
        workers = max(1, workers or os.cpu_count() or 1)
        pool = ProcessPoolExecutor(workers) if workers > 1 and total >= IN_PROCESS_BELOW else None
        try:
            while True:
                todo = store.unchecked_articles(BATCH * (workers if pool else 1))
                if not todo:
                    break
                if pool is not None:
                    size = -(-len(todo) // workers)
                    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
                    results = [r for part in pool.map(_check_many, chunks, [use_model] * len(chunks)) for r in part]
                else:
                    results = _check_many(todo, use_model)
                store.write_mt(results)
                by_id = {a.id: a for a in todo}
                for aid, score, flag, evidence in results:
                    summary.checked += 1
                    if evidence and evidence[0].startswith("not checked:"):
                        summary.failed += 1
                    if flag:
                        summary.flagged += 1
                        if len(summary.examples) < MAX_LISTED:
                            art = by_id[aid]
                            summary.examples.append(Flagged(aid, art.outlet, art.title, score, evidence))
                if on_progress:
                    on_progress(summary.checked, total)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return summary
