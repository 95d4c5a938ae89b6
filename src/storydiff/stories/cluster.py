"""Streaming story clustering: each article, in time order, joins the closest active story or starts one.

Similarity is the cosine between the article's title+lead embedding and a story's centroid, after
subtracting the mean article vector, and measured in standard deviations of the similarity between
unrelated articles (estimated from the stream itself), so one threshold holds across embedding
backends and across title-only and title+lead inputs. Shared names add a bonus; a gap in time costs
a penalty (two calls between the same ministers three days apart are two stories). When a story
grows, its centroid is compared with the other active stories and the two merge when they have
become one; merges are reported so the caller can relabel. Only stories seen in the last
`active_days` are candidates, so the cost per article does not grow with the corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storydiff.errors import MissingExtraError, UsageError
from storydiff.model import Article
from storydiff.stories._background import Background
from storydiff.stories._text import lead, names, timestamp

DAY = 86400.0  # seconds
NAME_CANDIDATES = 8  # best stories by embedding whose shared names are scored (names cost a dict walk)
MERGE_ROUNDS = 3  # merges checked in a row after one article (a merge can enable the next)
STATE_VERSION = 1  # bump when the saved state's layout changes


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterOptions:
    """How articles are grouped into stories (thresholds in sd of unrelated-pair similarity)."""

    backend: str = "model2vec"  # embedding backend (storydiff.analyze.embed); falls back to hashing
    join_z: float = 3.5  # an article joins a story this many sd above unrelated similarity
    merge_z: float = 3.5  # two stories' centroids this close merge into one
    name_weight: float = 1.0  # sd added when every name of the article is common in the story
    grace_days: float = 1.0  # time apart that costs nothing (one news cycle)
    z_per_day: float = 1.0  # sd taken off per day apart beyond the grace (a 3-day gap costs 2 sd)
    active_days: float = 7.0  # stories idle longer than this are closed: no article joins them
    max_active: int = 50_000  # most stories kept open when articles carry no time (oldest closed first)
    lead_words: int = 60  # words of the body embedded after the title


@dataclass(slots=True)
class _Story:
    """Mutable bookkeeping of one open story."""

    id: str
    count: int
    first: float | None
    last: float | None
    names: Counter[str] = field(default_factory=Counter)
    touched: int = 0  # arrival number of its latest article (evicts untimed stories)


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one article went: its story, whether it started it, and the evidence."""

    article: str
    story_id: str
    new_story: bool
    score: float  # z of the best candidate after bonus and penalty (nan when there was none)


class StoryClusterer:
    """Places articles one at a time into stories; its state is plain data and can be saved and resumed."""

    def __init__(self, options: ClusterOptions | None = None, *, embedder: Any | None = None) -> None:
        self.options = options or ClusterOptions()
        self._embedder = embedder or _load_embedder(self.options.backend)
        self.backend: str = self._embedder.name
        self._dims: int | None = None
        self._bg: Background | None = None
        self._stories: list[_Story] = []  # open stories, row i of _sums
        self._sums = np.zeros((0, 0), dtype=np.float32)  # raw vector sums of the open stories
        self._df: Counter[str] = Counter()  # articles containing each name (for name weights)
        self._seen = 0  # articles placed
        self._closed = 0  # stories closed so far
        self._newest: float | None = None
        self.aliases: dict[str, str] = {}  # merged story id -> the story it merged into
        self._pending: list[tuple[str, str]] = []  # merges not yet handed to the caller

    # --- public API ---------------------------------------------------------------------------

    def add(self, article: Article, vector: np.ndarray | None = None) -> str:
        """Place one article and return its story id (the store keeps it; merges come from `drain_merges`)."""
        return self.place(article, vector).story_id

    def place(self, article: Article, vector: np.ndarray | None = None, *, observed: bool = False) -> Placed:
        """Place one article and say whether it started a story and how close the chosen story was."""
        if vector is None:
            vector = self.embed([article])[0]
        self._ensure(len(vector))
        assert self._bg is not None
        if not observed:
            self._bg.observe(vector)
        when = timestamp(article.published)
        art_names = names(article.title + " " + " ".join(article.body.split()[: self.options.lead_words]))
        self._seen += 1
        self._close_idle(when)
        row, score = self._best(vector, when, art_names)
        for name in art_names:
            self._df[name] += 1
        if row < 0:
            story = _Story(f"s-{article.id}", 0, when, when, touched=self._seen)
            self._stories.append(story)
            self._sums = np.vstack([self._sums, np.zeros((1, self._dims or 0), dtype=np.float32)])
            row, new = len(self._stories) - 1, True
        else:
            story, new = self._stories[row], False
        self._sums[row] += vector
        story.count += 1
        story.touched = self._seen
        story.names.update(art_names)
        if when is not None:
            story.first = when if story.first is None else min(story.first, when)
            story.last = when if story.last is None else max(story.last, when)
        story_id = story.id
        if not new:
            story_id = self._merge_from(row)
        return Placed(article.id, story_id, new, score)

    def add_many(self, articles: Sequence[Article]) -> list[str]:
        """Place articles in the order given (sort by time first) with one batched embedding call."""
        vectors = self.embed(articles)
        if len(vectors):
            self._ensure(vectors.shape[1])
            assert self._bg is not None
            self._bg.observe(vectors)  # the whole batch tells what unrelated articles look like
        return [self.place(a, v, observed=True).story_id for a, v in zip(articles, vectors, strict=True)]

    def embed(self, articles: Sequence[Article]) -> np.ndarray:
        """Embed title + lead of each article with the configured backend."""
        texts = [lead(a, self.options.lead_words) for a in articles]
        return np.asarray(self._embedder.encode(texts), dtype=np.float32)

    def resolve(self, story_id: str) -> str:
        """The story a (possibly merged) story id now belongs to."""
        seen = 0
        while story_id in self.aliases and seen < 1000:
            story_id = self.aliases[story_id]
            seen += 1
        return story_id

    def drain_merges(self) -> list[tuple[str, str]]:
        """Merges since the last call, as (absorbed story id, surviving story id), for the store to relabel."""
        out, self._pending = self._pending, []
        return out

    @property
    def open_stories(self) -> int:
        """How many stories are candidates for the next article."""
        return len(self._stories)

    # --- state --------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The whole index as plain JSON-ready data (centroid sums, counts, times, names, background)."""
        return {
            "version": STATE_VERSION,
            "backend": self.backend,
            "options": {f: getattr(self.options, f) for f in ClusterOptions.__dataclass_fields__},
            "dims": self._dims,
            "seen": self._seen,
            "closed": self._closed,
            "newest": self._newest,
            "df": dict(self._df),
            "aliases": dict(self.aliases),
            "background": self._bg.to_state() if self._bg else None,
            "stories": [
                {"id": s.id, "count": s.count, "first": s.first, "last": s.last, "names": dict(s.names),
                 "touched": s.touched, "sum": self._sums[i].tolist()}
                for i, s in enumerate(self._stories)
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, embedder: Any | None = None) -> StoryClusterer:
        """Resume from `to_state` output; the backend must be the one that built it."""
        if state.get("version") != STATE_VERSION:
            raise UsageError(f"clusterer state version {state.get('version')!r} is not {STATE_VERSION}")
        options = ClusterOptions(**state["options"])
        self = cls(options, embedder=embedder)
        if self.backend != state["backend"]:
            raise UsageError(f"clusterer state was built with {state['backend']}, not {self.backend}: "
                             "re-cluster, or install the backend it used")
        self._dims = state["dims"]
        self._seen = state["seen"]
        self._closed = state["closed"]
        self._newest = state["newest"]
        self._df = Counter(state["df"])
        self.aliases = dict(state["aliases"])
        self._bg = Background.from_state(state["background"]) if state["background"] else None
        self._stories = [_Story(s["id"], s["count"], s["first"], s["last"], Counter(s["names"]), s["touched"])
                         for s in state["stories"]]
        dims = self._dims or 0
        self._sums = np.asarray([s["sum"] for s in state["stories"]], dtype=np.float32).reshape(-1, dims)
        return self

    # --- internals ----------------------------------------------------------------------------

    def _ensure(self, dims: int) -> None:
        if self._dims is None:
            self._dims = dims
            self._bg = Background(dims)
            self._sums = np.zeros((0, dims), dtype=np.float32)
        elif dims != self._dims:
            raise UsageError(f"vector of {dims} dimensions given to a clusterer of {self._dims}")

    def _close_idle(self, when: float | None) -> None:
        """Drop stories idle beyond `active_days` (or the oldest ones past `max_active`) from the candidates."""
        opts = self.options
        keep: list[int] = []
        if when is not None:
            self._newest = when if self._newest is None else max(self._newest, when)
        horizon = None if self._newest is None else self._newest - opts.active_days * DAY
        over = len(self._stories) - opts.max_active
        if horizon is None and over <= 0:
            return
        cutoff = sorted(s.touched for s in self._stories)[over] if over > 0 else -1
        for i, s in enumerate(self._stories):
            idle = horizon is not None and s.last is not None and s.last < horizon
            if not idle and s.touched >= cutoff:
                keep.append(i)
        if len(keep) < len(self._stories):
            self._closed += len(self._stories) - len(keep)
            self._stories = [self._stories[i] for i in keep]
            self._sums = self._sums[keep]

    def _z(self, centred: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of centred story sums with a centred query, in sd above unrelated similarity."""
        assert self._bg is not None
        norms = np.linalg.norm(centred, axis=1) * max(float(np.linalg.norm(query)), 1e-9)
        cos = (centred @ query) / np.maximum(norms, 1e-9)
        return (cos - self._bg.centre) / self._bg.sd

    def _centred(self) -> np.ndarray:
        assert self._bg is not None
        counts = np.fromiter((s.count for s in self._stories), dtype=np.float32, count=len(self._stories))
        return self._sums - counts[:, None] * self._bg.mean[None, :]

    def _gap_penalty(self, gaps_days: np.ndarray) -> np.ndarray:
        opts = self.options
        return opts.z_per_day * np.maximum(0.0, gaps_days - opts.grace_days)

    def _best(self, vector: np.ndarray, when: float | None, art_names: frozenset[str]) -> tuple[int, float]:
        """The open story this article should join (-1: none) and its score."""
        if not self._stories:
            return -1, math.nan
        assert self._bg is not None
        z = self._z(self._centred(), vector - self._bg.mean)
        if when is not None:
            gaps = np.array([_interval_gap(when, when, s.first, s.last) for s in self._stories]) / DAY
            z = z - self._gap_penalty(gaps)
        if art_names and self.options.name_weight:
            top = np.argsort(-z)[:NAME_CANDIDATES]
            for i in top:
                z[i] += self.options.name_weight * self._name_overlap(art_names, self._stories[i])
        row = int(np.argmax(z))
        score = float(z[row])
        return (row if score >= self.options.join_z else -1), score

    def _name_overlap(self, art_names: frozenset[str], story: _Story) -> float:
        """Share of the article's names (weighted by rarity) that the story's articles commonly use."""
        total = hit = 0.0
        n = max(self._seen, 2)
        for name in art_names:
            weight = math.log(n / (1 + self._df[name]))
            if weight <= 0:
                continue
            total += weight
            hit += weight * story.names.get(name, 0) / story.count
        return hit / total if total else 0.0

    def _merge_from(self, row: int) -> str:
        """Merge story `row` with any open story whose centroid is now as close as a member; return its id."""
        assert self._bg is not None
        for _ in range(MERGE_ROUNDS):
            if len(self._stories) < 2:
                break
            centred = self._centred()
            z = self._z(centred, centred[row])
            z[row] = -np.inf
            me = self._stories[row]
            if me.first is not None:
                gaps = np.array([_interval_gap(me.first, me.last, s.first, s.last) for s in self._stories]) / DAY
                z = z - self._gap_penalty(gaps)
            other = int(np.argmax(z))
            if z[other] < self.options.merge_z:
                break
            row = self._absorb(row, other)
        return self._stories[row].id

    def _absorb(self, a: int, b: int) -> int:
        """Merge two open stories into the larger (older on a tie); return the survivor's row."""
        sa, sb = self._stories[a], self._stories[b]
        keep, drop = (a, b) if (sa.count, -sa.touched) >= (sb.count, -sb.touched) else (b, a)
        k, d = self._stories[keep], self._stories[drop]
        self._sums[keep] += self._sums[drop]
        k.count += d.count
        k.names.update(d.names)
        k.touched = max(k.touched, d.touched)
        times = [t for t in (k.first, k.last, d.first, d.last) if t is not None]
        if times:
            k.first, k.last = min(times), max(times)
        self.aliases[d.id] = k.id
        self._pending.append((d.id, k.id))
        del self._stories[drop]
        self._sums = np.delete(self._sums, drop, axis=0)
        return keep if keep < drop else keep - 1


def _interval_gap(a0: float | None, a1: float | None, b0: float | None, b1: float | None) -> float:
    """Seconds between two time spans (0 when they overlap or a time is unknown)."""
    if a0 is None or a1 is None or b0 is None or b1 is None:
        return 0.0
    return max(0.0, b0 - a1, a0 - b1)


def _load_embedder(backend: str) -> Any:
    """The named embedder, or the no-model hashing fallback when its model is not installed."""
    from storydiff.analyze.embed import get_embedder

    try:
        return get_embedder(backend)
    except (MissingExtraError, UsageError, ImportError, OSError):
        if backend == "hashing":
            raise
        return get_embedder("hashing")


@dataclass(frozen=True, slots=True)
class Clustering:
    """Story labels for a batch of articles, with the backend that embedded them."""

    labels: tuple[str, ...]  # story id per article, in the order the articles were given
    backend: str
    stories: int


def cluster_articles(articles: Sequence[Article], options: ClusterOptions | None = None, *,
                     embedder: Any | None = None) -> Clustering:
    """Cluster a batch in one streaming pass (in time order) and return the final story of each article."""
    clusterer = StoryClusterer(options, embedder=embedder)
    order = sorted(range(len(articles)), key=lambda i: _time_key(articles[i], i))
    placed = clusterer.add_many([articles[i] for i in order])
    labels = [""] * len(articles)
    for i, story in zip(order, placed, strict=True):
        labels[i] = clusterer.resolve(story)
    return Clustering(tuple(labels), clusterer.backend, len(set(labels)))


def _time_key(article: Article, index: int) -> tuple[float, int]:
    t = timestamp(article.published)
    return (t if t is not None else math.inf, index)
