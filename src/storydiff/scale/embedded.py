"""The corpus pipeline without Spark (read, copies, stories, reports): the reference the Spark jobs must agree with.

Both paths share the functions here that decide the order articles arrive in and turn one story
into a report, so the only differences between them are the ones Spark's blocking introduces.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from storydiff.comparison.pipeline import CompareOptions, compare_articles
from storydiff.ingest.pipeline import content_id
from storydiff.ingest.sources import InputFailure, SourceOptions, iter_inputs, to_article
from storydiff.model import Article
from storydiff.stories._text import timestamp
from storydiff.stories.cluster import ClusterOptions, cluster_articles
from storydiff.stories.dedupe import DedupeIndex, DedupeOptions, Duplicate

MIN_REPORTS = 2  # a story is compared when it has at least this many independent reports


def time_key(published: str | None) -> float:
    """Arrival time of an article: seconds since the epoch, or +inf when it has no readable date (last)."""
    t = timestamp(published)
    return math.inf if t is None else t


def arrival_order(articles: Iterable[Article]) -> list[Article]:
    """Articles in the order both paths place them: by publication time, then by id."""
    return sorted(articles, key=lambda a: (time_key(a.published), a.id))


def read_articles(paths: Iterable[str | os.PathLike[str]],
                  options: SourceOptions | None = None) -> tuple[list[Article], list[InputFailure]]:
    """Articles of JSONL, CSV, WARC files and folders as `storydiff ingest` reads them (content ids, repeats dropped)."""
    seen: dict[str, Article] = {}
    failures: list[InputFailure] = []
    for raw in iter_inputs(paths, options):
        if isinstance(raw, InputFailure):
            failures.append(raw)
            continue
        try:
            art = to_article(raw)
        except Exception as exc:  # noqa: BLE001 - a bad record is reported, the rest goes on
            failures.append(InputFailure(raw.source, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        art = replace(art, id=content_id(art))
        seen.setdefault(art.id, art)
    return list(seen.values()), failures


def story_report(articles: Sequence[Article], options: CompareOptions) -> str:
    """The JSON report of one story: its first `max_articles` independent reports in arrival order."""
    chosen = arrival_order(articles)[: options.max_articles]
    return compare_articles(chosen, options).to_json(indent=None)


@dataclass(slots=True)
class CorpusResult:
    """Copies, stories and reports of a corpus."""

    articles: list[Article]  # in arrival order
    duplicates: dict[str, Duplicate]  # copy id -> what it reprints
    stories: dict[str, str]  # article id -> story id (copies share their original's story)
    backend: str = ""
    reports: dict[str, str] = field(default_factory=dict)  # story id -> report JSON
    errors: dict[str, str] = field(default_factory=dict)  # story id -> why comparing it failed


def run_embedded(articles: Iterable[Article], *, dedupe: DedupeOptions | None = None,
                 cluster: ClusterOptions | None = None, compare: CompareOptions | None = None,
                 report_stories: Iterable[str] | None = None) -> CorpusResult:
    """Copies with `DedupeIndex`, stories of the independent reports with `cluster_articles`, and reports.

    `report_stories` limits the comparison to these stories (None: every story with two reports).
    """
    ordered = arrival_order(articles)
    index = DedupeIndex(dedupe)
    duplicates = {}
    for art in ordered:
        found = index.add(art)
        if found is not None:
            duplicates[art.id] = found
    originals = [a for a in ordered if a.id not in duplicates]
    clustering = cluster_articles(originals, cluster)
    stories = dict(zip((a.id for a in originals), clustering.labels, strict=True))
    for copy, dup in duplicates.items():
        stories[copy] = stories[dup.duplicate_of]
    result = CorpusResult(ordered, duplicates, stories, clustering.backend)
    if compare is None:
        return result
    members: dict[str, list[Article]] = {}
    for art in originals:
        members.setdefault(stories[art.id], []).append(art)
    wanted = set(members) if report_stories is None else set(report_stories)
    for story, arts in members.items():
        if story in wanted and len(arts) >= MIN_REPORTS:
            try:
                result.reports[story] = story_report(arts, compare)
            except Exception as exc:  # noqa: BLE001 - as on Spark: one bad story does not stop the rest
                result.errors[story] = f"{type(exc).__name__}: {exc}"
    return result
