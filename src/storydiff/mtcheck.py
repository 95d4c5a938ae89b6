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
REASON_CHARS = 200  # a failure's reason is cut to this many characters (one line in the summary)


@dataclass(frozen=True, slots=True)
class Flagged:
    """One report the check flagged, with its evidence."""

    article_id: str
    outlet: str
    title: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Failed:
    """One report the check could not analyse: left unchecked, so the next run tries it again."""

    article_id: str
    outlet: str
    title: str
    reason: str  # one line: the exception's type and message


@dataclass(slots=True)
class MtCheckSummary:
    """What one `mt-check` run did."""

    checked: int = 0
    flagged: int = 0
    failed: int = 0
    examples: list[Flagged] = field(default_factory=list)
    failures: list[Failed] = field(default_factory=list)  # every report that failed, in store order

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {"checked": self.checked, "flagged": self.flagged, "failed": self.failed,
                "examples": [asdict(f) for f in self.examples], "failures": [asdict(f) for f in self.failures]}


# (article id, score, flag, evidence, reason it could not be checked or None)
Result = tuple[str, float, bool, tuple[str, ...], str | None]


def _reason(exc: BaseException) -> str:
    """The exception as one short line."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text[:REASON_CHARS]


def _check_many(articles: Sequence[Article], use_model: bool) -> list[Result]:
    """Worker task: the signal of each article; an article the analysis cannot read carries the reason instead."""
    out: list[Result] = []
    options = AnalyzeOptions(use_model=use_model)
    for art in articles:
        try:
            sig = article_signal(art, options)
            out.append((art.id, float(sig.score), bool(sig.flag), tuple(sig.evidence), None))
        except Exception as exc:  # noqa: BLE001 - one unreadable report must not stop the check
            out.append((art.id, 0.0, False, (), _reason(exc)))
    return out


def check_store(store: Store, *, workers: int | None = None, use_model: bool = True,
                on_progress: Callable[[int, int], None] | None = None) -> MtCheckSummary:
    """Score every unchecked independent report of the store for machine translation; resumable by batch."""
    summary = MtCheckSummary()
    with store.writer_lock():
        store.unmark_failed_mt()  # a store written before failures stayed unchecked: retry those too
        total = store.mt_counts()["unchecked"]
        workers = max(1, workers or os.cpu_count() or 1)
        pool = ProcessPoolExecutor(workers) if workers > 1 and total >= IN_PROCESS_BELOW else None
        try:
            failed: set[str] = set()  # a report that failed stays unchecked: skipped for the rest of this run
            seen: set[str] = set()
            while True:
                todo = store.unchecked_articles(BATCH * (workers if pool else 1), exclude=failed)
                todo = [a for a in todo if a.id not in seen]  # each report is tried once a run, whatever happens
                if not todo:
                    break
                seen.update(a.id for a in todo)
                if pool is not None:
                    size = -(-len(todo) // workers)
                    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
                    results = [r for part in pool.map(_check_many, chunks, [use_model] * len(chunks)) for r in part]
                else:
                    results = _check_many(todo, use_model)
                store.write_mt([(aid, score, flag, evidence) for aid, score, flag, evidence, reason in results
                                if reason is None])
                by_id = {a.id: a for a in todo}
                for aid, score, flag, evidence, reason in results:
                    art = by_id[aid]
                    if reason is not None:
                        failed.add(aid)
                        summary.failed += 1
                        summary.failures.append(Failed(aid, art.outlet, art.title, reason))
                        continue
                    summary.checked += 1
                    if flag:
                        summary.flagged += 1
                        if len(summary.examples) < MAX_LISTED:
                            summary.examples.append(Flagged(aid, art.outlet, art.title, score, evidence))
                if on_progress:
                    on_progress(summary.checked + summary.failed, total)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return summary
