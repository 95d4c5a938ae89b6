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
HASHING_DIMS = 4096  # dimensions of the no-model fallback (every open story keeps one such vector)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterOptions:
    """How articles are grouped into stories (thresholds in sd of unrelated-pair similarity)."""

    backend: str = "auto"  # embedding backend: auto = MiniLM int8, else MiniLM (ONNX, else torch), model2vec, hashing
    join_z: float = 3.0  # an article joins a story this many sd above unrelated similarity
    merge_z: float = 3.5  # two stories' centroids this close merge into one
    name_weight: float = 1.0  # sd added when every name of the article is common in the story
    grace_days: float = 0.5  # time apart that costs nothing (half a news cycle)
    z_per_day: float = 2.0  # sd taken off per day apart beyond the grace (a day costs 1 sd, 3 days 5 sd)
    active_days: float = 7.0  # stories idle longer than this are closed: no article joins them
    max_active: int = 50_000  # most stories kept open when articles carry no time (oldest closed first)
    lead_words: int = 60  # words of the body read for shared names (and embedded when there is no title)
    # words of the body embedded after the title; None: none for a transformer (each word costs it ~1/15
    # of a headline), lead_words for a static model or the hashing fallback (words cost them nothing)
    embed_words: int | None = None


@dataclass(slots=True)
class _Story:
    """The non-numeric part of one open story (its numbers live in the clusterer's arrays)."""

    id: str
    names: Counter[str] = field(default_factory=Counter)  # name -> articles of the story using it


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
        self._embedder = embedder or load_embedder(self.options.backend)
        self.backend: str = self._embedder.name
        self._dims: int | None = None
        self._bg: Background | None = None
        self._stories: list[_Story] = []  # open stories; row i of the arrays below
        self._sums = np.zeros((0, 0), dtype=np.float32)  # raw vector sum per open story (rows >= len unused)
        self._counts = np.zeros(0, dtype=np.float64)  # articles per open story
        self._first = np.zeros(0, dtype=np.float64)  # earliest publication time (nan: unknown)
        self._last = np.zeros(0, dtype=np.float64)  # latest publication time (nan: unknown)
        self._touched = np.zeros(0, dtype=np.int64)  # arrival number of its latest article
        self._sq = np.zeros(0, dtype=np.float64)  # squared norm of each raw sum (kept up to date)
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
        new = row < 0
        if new:
            row = self._open(_Story(f"s-{article.id}"))
        self._sums[row] += vector
        self._sq[row] = float(self._sums[row] @ self._sums[row])
        self._counts[row] += 1
        self._touched[row] = self._seen
        self._stories[row].names.update(art_names)
        if when is not None:
            self._first[row] = np.fmin(self._first[row], when)
            self._last[row] = np.fmax(self._last[row], when)
        story_id = self._stories[row].id if new else self._merge_from(row)
        return Placed(article.id, story_id, new, score)

    def add_many(self, articles: Sequence[Article], vectors: np.ndarray | None = None) -> list[str]:
        """Place articles in the order given (sort by time first) with one batched embedding call.

        `vectors` (one per article, from `embed_text` through this clusterer's model) skips that call.
        """
        vectors = self.embed(articles) if vectors is None else np.asarray(vectors, dtype=np.float32)
        if len(vectors):
            self._ensure(vectors.shape[1])
            assert self._bg is not None
            self._bg.observe(vectors)  # the whole batch tells what unrelated articles look like
        return [self.place(a, v, observed=True).story_id for a, v in zip(articles, vectors, strict=True)]

    def embed(self, articles: Sequence[Article]) -> np.ndarray:
        """Embed articles as the clusterer sees them (see `embed_text`)."""
        return np.asarray(self._embedder.encode([self.embed_text(a) for a in articles]), dtype=np.float32)

    def embed_text(self, article: Article) -> str:
        """What is embedded: the title (+ `embed_words` of the lead), or the lead when there is no title."""
        opts = self.options
        if not article.title.strip():
            return lead(article, opts.lead_words)
        words = opts.embed_words
        if words is None:
            words = 0 if getattr(self._embedder, "contextual", False) else opts.lead_words
        return lead(article, words)

    def use_embedder(self, embedder: Any) -> None:
        """Embed with another runtime of the same model from now on (e.g. one that runs in worker processes)."""
        from storydiff.analyze.embed import same_vectors

        if not same_vectors(embedder.name, self.backend):
            raise UsageError(f"embedder {embedder.name} does not give the vectors of {self.backend}")
        self._embedder = embedder

    @property
    def embedder(self) -> Any:
        """The embedder in use (its `name` is the saved backend)."""
        return self._embedder

    def resolve(self, story_id: str) -> str:
        """The story a (possibly merged) story id now belongs to."""
        hops = 0
        while story_id in self.aliases and hops < len(self.aliases):
            story_id = self.aliases[story_id]
            hops += 1
        return story_id

    def drain_merges(self) -> list[tuple[str, str]]:
        """Merges since the last call, as (absorbed story id, surviving story id), for the store to relabel."""
        out, self._pending = self._pending, []
        return out

    def consolidate(self) -> list[tuple[str, str]]:
        """Merge open stories whose centroids have converged, closest pair first (call after a batch)."""
        merged: list[tuple[str, str]] = []
        while len(self._stories) > 1:
            assert self._bg is not None
            n = len(self._stories)
            centred = self._sums[:n] - (self._counts[:n, None] * self._bg.mean[None, :]).astype(np.float32)
            unit = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
            z = (unit @ unit.T - self._bg.centre) / self._bg.sd
            np.fill_diagonal(z, -np.inf)
            with np.errstate(invalid="ignore"):
                gap = np.fmax(np.fmax(self._first[:n, None] - self._last[None, :n],
                                      self._first[None, :n] - self._last[:n, None]), 0.0)
            days = np.where(np.isnan(gap), 0.0, gap) / DAY
            z -= self.options.z_per_day * np.maximum(0.0, days - self.options.grace_days)
            a, b = np.unravel_index(int(np.argmax(z)), z.shape)
            if z[a, b] < self.options.merge_z:
                break
            before = len(self._pending)
            self._absorb(int(a), int(b))
            merged.extend(self._pending[before:])
        return merged

    @property
    def open_stories(self) -> int:
        """How many stories are candidates for the next article."""
        return len(self._stories)

    # --- state --------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The whole index as plain JSON-ready data (centroid sums, counts, times, names, background)."""
        n = len(self._stories)

        def opt(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

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
            "pending": [list(p) for p in self._pending],
            "background": self._bg.to_state() if self._bg else None,
            "stories": [
                {"id": s.id, "count": int(self._counts[i]), "first": opt(self._first[i]),
                 "last": opt(self._last[i]), "touched": int(self._touched[i]), "names": dict(s.names),
                 "sum": self._sums[i].tolist()}
                for i, s in enumerate(self._stories[:n])
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, embedder: Any | None = None) -> StoryClusterer:
        """Resume from `to_state` output; the backend must be the one that built it."""
        if state.get("version") != STATE_VERSION:
            raise UsageError(f"clusterer state version {state.get('version')!r} is not {STATE_VERSION}")
        from storydiff.analyze.embed import backend_of, same_vectors

        if embedder is None and (saved := backend_of(state["backend"])):
            embedder = load_embedder(saved)  # the backend that built it, whatever "auto" means here now
        options = dict(state["options"])
        options.setdefault("embed_words", options.get("lead_words"))  # saved when title + lead was embedded
        self = cls(ClusterOptions(**options), embedder=embedder)
        if not same_vectors(self.backend, state["backend"]):
            raise UsageError(f"clusterer state was built with {state['backend']}, not {self.backend}: "
                             "re-cluster, or install the backend it used")
        self._seen, self._closed, self._newest = state["seen"], state["closed"], state["newest"]
        self._df = Counter(state["df"])
        self.aliases = dict(state["aliases"])
        self._pending = [tuple(p) for p in state.get("pending", [])]  # type: ignore[misc]
        if state["dims"] is not None:
            self._ensure(int(state["dims"]))
        if state["background"]:
            self._bg = Background.from_state(state["background"])
        for s in state["stories"]:
            row = self._open(_Story(s["id"], Counter(s["names"])))
            self._sums[row] = np.asarray(s["sum"], dtype=np.float32)
            self._sq[row] = float(self._sums[row] @ self._sums[row])
            self._counts[row] = s["count"]
            self._first[row] = math.nan if s["first"] is None else s["first"]
            self._last[row] = math.nan if s["last"] is None else s["last"]
            self._touched[row] = s["touched"]
        return self

    # --- internals ----------------------------------------------------------------------------

    def _ensure(self, dims: int) -> None:
        if self._dims is None:
            self._dims = dims
            self._bg = Background(dims)
            self._sums = np.zeros((0, dims), dtype=np.float32)
        elif dims != self._dims:
            raise UsageError(f"vector of {dims} dimensions given to a clusterer of {self._dims}")

    def _open(self, story: _Story) -> int:
        """Add an empty story row (growing the arrays by doubling) and return its row."""
        row = len(self._stories)
        if row >= len(self._counts):
            cap = max(64, 2 * len(self._counts))
            self._sums = _grow(self._sums, cap, 0.0)
            self._counts = _grow(self._counts, cap, 0.0)
            self._first = _grow(self._first, cap, math.nan)
            self._last = _grow(self._last, cap, math.nan)
            self._touched = _grow(self._touched, cap, 0)
            self._sq = _grow(self._sq, cap, 0.0)
        self._stories.append(story)
        self._sums[row] = 0.0
        self._sq[row] = 0.0
        self._counts[row] = 0.0
        self._first[row] = self._last[row] = math.nan
        self._touched[row] = self._seen
        return row

    def _remove(self, row: int) -> None:
        """Close one story row by moving the last row into its place."""
        end = len(self._stories) - 1
        if row != end:
            for arr in (self._sums, self._sq, self._counts, self._first, self._last, self._touched):
                arr[row] = arr[end]
            self._stories[row] = self._stories[end]
        self._stories.pop()

    def _close_idle(self, when: float | None) -> None:
        """Drop stories idle beyond `active_days` (or the oldest ones past `max_active`) from the candidates."""
        opts = self.options
        if when is not None:
            self._newest = when if self._newest is None else max(self._newest, when)
        n = len(self._stories)
        drop = np.zeros(n, dtype=bool)
        if self._newest is not None:
            with np.errstate(invalid="ignore"):
                drop |= self._last[:n] < self._newest - opts.active_days * DAY
        over = n - int(drop.sum()) - opts.max_active
        if over > 0:
            order = np.argsort(np.where(drop, -1, self._touched[:n]), kind="stable")
            drop[order[: int(drop.sum()) + over]] = True
        if drop.any():
            for row in sorted(np.flatnonzero(drop), reverse=True):
                self._remove(int(row))
            self._closed += int(drop.sum())

    def _z(self, query_sum: np.ndarray, query_count: float) -> np.ndarray:
        """Centred cosine of every open story with a query (a vector sum of `query_count` articles), in sd.

        Centring is done algebraically (s - n mu) so no centred copy of the story matrix is built.
        """
        assert self._bg is not None
        n = len(self._stories)
        mu = self._bg.mean
        sums, counts = self._sums[:n], self._counts[:n]
        query = query_sum - query_count * mu
        dots = sums @ query - counts * float(mu @ query)
        sq = self._sq[:n]
        norms2 = sq - 2 * counts * (sums @ mu) + counts**2 * float(mu @ mu)
        norms = np.sqrt(np.maximum(norms2, 1e-12)) * max(float(np.linalg.norm(query)), 1e-9)
        cos = dots / norms
        return (cos - self._bg.centre) / self._bg.sd

    def _penalty(self, lo: float, hi: float) -> np.ndarray:
        """sd taken off each open story for the time between its span and [lo, hi] (0 when unknown)."""
        n = len(self._stories)
        with np.errstate(invalid="ignore"):
            gap = np.fmax(np.fmax(self._first[:n] - hi, lo - self._last[:n]), 0.0)
        days = np.where(np.isnan(gap), 0.0, gap) / DAY
        return self.options.z_per_day * np.maximum(0.0, days - self.options.grace_days)

    def _best(self, vector: np.ndarray, when: float | None, art_names: frozenset[str]) -> tuple[int, float]:
        """The open story this article should join (-1: none) and its score."""
        if not self._stories:
            return -1, math.nan
        assert self._bg is not None
        z = self._z(vector, 1.0)
        if when is not None:
            z = z - self._penalty(when, when)
        if art_names and self.options.name_weight:
            top = np.argpartition(-z, NAME_CANDIDATES)[:NAME_CANDIDATES] if len(z) > NAME_CANDIDATES else range(len(z))
            for i in top:
                z[i] += self.options.name_weight * self._name_overlap(art_names, int(i))
        row = int(np.argmax(z))
        score = float(z[row])
        return (row if score >= self.options.join_z else -1), score

    def _name_overlap(self, art_names: frozenset[str], row: int) -> float:
        """Share of the article's names (weighted by rarity) that the story's articles commonly use."""
        total = hit = 0.0
        n = max(self._seen, 2)
        story, count = self._stories[row].names, self._counts[row]
        for name in art_names:
            weight = math.log(n / (1 + self._df[name]))
            if weight <= 0:
                continue
            total += weight
            hit += weight * story.get(name, 0) / count
        return hit / total if total else 0.0

    def _merge_from(self, row: int) -> str:
        """Merge story `row` with any open story whose centroid is now as close as a member; return its id."""
        for _ in range(MERGE_ROUNDS):
            if len(self._stories) < 2:
                break
            z = self._z(self._sums[row].copy(), float(self._counts[row]))
            z[row] = -np.inf
            if not math.isnan(self._first[row]):
                z = z - self._penalty(float(self._first[row]), float(self._last[row]))
            other = int(np.argmax(z))
            if z[other] < self.options.merge_z:
                break
            row = self._absorb(row, other)
        return self._stories[row].id

    def _absorb(self, a: int, b: int) -> int:
        """Merge two open stories into the larger (older on a tie); return the survivor's row."""
        keep, drop = (a, b) if (self._counts[a], -self._touched[a]) >= (self._counts[b], -self._touched[b]) else (b, a)
        self._sums[keep] += self._sums[drop]
        self._sq[keep] = float(self._sums[keep] @ self._sums[keep])
        self._counts[keep] += self._counts[drop]
        self._stories[keep].names.update(self._stories[drop].names)
        self._touched[keep] = max(self._touched[keep], self._touched[drop])
        self._first[keep] = np.fmin(self._first[keep], self._first[drop])
        self._last[keep] = np.fmax(self._last[keep], self._last[drop])
        kept_id, dropped_id = self._stories[keep].id, self._stories[drop].id
        self.aliases[dropped_id] = kept_id
        self._pending.append((dropped_id, kept_id))
        self._remove(drop)
        return next(i for i, s in enumerate(self._stories) if s.id == kept_id)


def _grow(arr: np.ndarray, rows: int, fill: float) -> np.ndarray:
    """A copy of `arr` with `rows` rows, the new ones set to `fill`."""
    out = np.full((rows, *arr.shape[1:]), fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


def load_embedder(backend: str) -> Any:
    """The named embedder, or the no-model hashing fallback (at a size a centroid matrix can hold).

    "auto" takes MiniLM with int8 weights first: it clusters as well as the float model on both
    labelled sets at ~1.4x its speed (docs/stories.md).
    """
    from storydiff.analyze.embed import HashingEmbedder, get_embedder

    if backend == "hashing":
        return HashingEmbedder(dims=HASHING_DIMS)
    try:
        emb = get_embedder("minilm-int8") if backend == "auto" else None
    except (MissingExtraError, UsageError, ImportError, OSError):
        emb = None
    try:
        emb = emb or get_embedder(backend)
    except (MissingExtraError, UsageError, ImportError, OSError):
        return HashingEmbedder(dims=HASHING_DIMS)
    return HashingEmbedder(dims=HASHING_DIMS) if emb.name == HashingEmbedder.name else emb


@dataclass(frozen=True, slots=True)
class Clustering:
    """Story labels for a batch of articles, with the backend that embedded them."""

    labels: tuple[str, ...]  # story id per article, in the order the articles were given
    backend: str
    stories: int


def cluster_articles(articles: Sequence[Article], options: ClusterOptions | None = None, *,
                     embedder: Any | None = None, consolidate: bool = True) -> Clustering:
    """Cluster a batch in one streaming pass (in time order) and return the final story of each article."""
    clusterer = StoryClusterer(options, embedder=embedder)
    order = sorted(range(len(articles)), key=lambda i: _time_key(articles[i], i))
    placed = clusterer.add_many([articles[i] for i in order])
    if consolidate:
        clusterer.consolidate()
    labels = [""] * len(articles)
    for i, story in zip(order, placed, strict=True):
        labels[i] = clusterer.resolve(story)
    return Clustering(tuple(labels), clusterer.backend, len(set(labels)))


def _time_key(article: Article, index: int) -> tuple[float, int]:
    t = timestamp(article.published)
    return (t if t is not None else math.inf, index)
