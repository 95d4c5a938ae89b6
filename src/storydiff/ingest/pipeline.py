"""`ingest(paths, store)`: read inputs, extract articles in parallel, drop repeats, place copies and stories.

Idempotent and resumable: every raw input has a content hash and every article a content id, both
kept in the store, so an input already stored is not even extracted again; work is committed in
batches (articles, their inputs and the clusterer's saved state in one transaction), so a killed
run loses only uncommitted work (at most the reorder window plus one batch of extracted articles)
and a re-run completes it without duplicates. Articles are held back in a window of
`reorder_window` and placed oldest first, since the clusterer expects a stream in time order.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import math
import os
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from storydiff.errors import InputError, NoArticleError, StoreError
from storydiff.ingest.extract import slugify
from storydiff.ingest.sources import (
    MAX_CSV_FIELD,
    InputFailure,
    RawInput,
    SourceOptions,
    iter_inputs,
    kind_of,
    to_article,
)
from storydiff.model import Article
from storydiff.store import Batch, Store, StoredArticle

BATCH_SIZE = 512  # articles per committed transaction
MAX_BATCH_SIZE = 16_384  # articles; batches double up to this as the store grows (see `batch_size`)
BATCH_GROWTH = 8  # a batch doubles while under 1/8 of the inputs committed (the saved stories state grows with them)
REORDER_WINDOW = 4096  # articles held back and sorted by time before placing (inputs are rarely in order)
CHUNK_SIZE = 8  # raw inputs per task sent to a worker process (amortises pickling)
WINDOW_PER_WORKER = 32  # tasks in flight per worker (keeps workers busy while the main process writes)
LOOKUP_SIZE = 512  # raw inputs checked against the store at once
MIN_PARALLEL = 16  # below this many inputs, extraction runs in-process (no pool start-up)
ID_HASH_CHARS = 16  # hex characters of the content hash in an article id
EMBED_CHUNK = 8  # texts per embedding task sent to a worker (MiniLM's fastest batch on one thread)
EMBED_GROUP = 64  # new stories' texts sent at once, sorted by length within (while copies are still sought)
# models dear enough to run on the workers -> the backend a worker loads for the same vectors (torch's
# MiniLM stays in the main process: a worker asking for "minilm" would get the ONNX export when built)
POOLED_MODELS = {"minilm-l6-v2.onnx-int8.v1": "minilm-int8", "minilm-l6-v2.onnx.v1": "minilm"}
INPUT_TIMEOUT_S = 120.0  # seconds one input may take to extract before its worker is killed
PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal sent to the worker when its parent dies


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the clusterer put one article: its story and, for a copy, the first-seen original."""

    story_id: str
    new_story: bool = False  # informational: ingest tells new from grown stories by asking the store
    duplicate_of: str | None = None
    similarity: float | None = None
    edits: Any = None  # JSON-ready description of what the copy changed


class Placer(Protocol):
    """The stories stage as ingest sees it: place articles one at a time, in time order.

    A placer may also define `place_many(articles) -> list[Placement]` (used instead of `place` when
    present, e.g. to embed a batch at once), `merges() -> list[(absorbed, surviving)]` (stories that
    merged since the last call; the store relabels them in the same transaction) and
    `resolve(story_id) -> story_id` (the story a merged id now belongs to).
    """

    def place(self, article: Article) -> Placement:
        """Put one new article into a story (and mark it a copy when it reprints an earlier one)."""
        ...

    def state(self) -> dict[str, bytes]:
        """Blobs to save with the batch so a later run resumes from here (may be empty)."""
        ...


PlacerFactory = Callable[[Store], Placer]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Options of `ingest`."""

    workers: int = 0  # extraction processes; 0 = one per core
    batch_size: int = BATCH_SIZE
    reorder_window: int = REORDER_WINDOW  # 0: place in input order; a kill loses at most window + batch
    embedder: str | None = None  # story clustering backend for a new store (None: the clusterer's default)
    sources: SourceOptions = field(default_factory=SourceOptions)


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What one ingest run did."""

    read: int = 0  # raw inputs found (files, lines, rows, WARC responses)
    extracted: int = 0  # articles extracted this run
    added: int = 0  # new articles written to the store
    already_stored: int = 0  # inputs or articles the store already held (left unchanged)
    duplicates: int = 0  # new articles that are copies of an earlier one
    new_stories: int = 0
    stories_grown: int = 0  # stories that existed before this run and gained articles
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (not errors)
    failures: tuple[InputFailure, ...] = ()  # bad inputs, each named with its position
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Inputs read per second."""
        return self.read / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "read": self.read, "extracted": self.extracted, "added": self.added,
            "already_stored": self.already_stored, "duplicates": self.duplicates,
            "new_stories": self.new_stories, "stories_grown": self.stories_grown,
            "skipped": dict(self.skipped), "failures": [[f.source, f.reason] for f in self.failures],
            "seconds": round(self.seconds, 3), "rate": round(self.rate, 1),
        }


Progress = Callable[[int], None]  # called with the number of raw inputs just finished


def content_id(article: Article) -> str:
    """A stable id from the article's content: the same article read twice gets the same id."""
    parts = "\x1f".join((article.url, article.outlet, article.title, article.body))
    digest = hashlib.sha256(parts.encode("utf-8", "replace")).hexdigest()[:ID_HASH_CHARS]
    return f"{slugify(article.outlet, 20) or 'article'}-{digest}"


def count_inputs(paths: Iterable[str | os.PathLike[str]]) -> int | None:
    """A quick count of raw inputs under the paths (for the progress bar); None when unknown."""
    total = 0
    for raw in paths:
        start = os.fspath(raw)
        if os.path.isdir(start):
            files = [os.path.join(r, n) for r, ds, ns in os.walk(start) for n in ns if not n.startswith(".")]
        else:
            files = [start]
        for name in files:
            kind = kind_of(Path(name))
            if kind == "file":
                total += 1
            elif kind in ("jsonl", "csv"):
                n = _count_lines(name) if kind == "jsonl" else _count_rows(name)
                if n is None:
                    return None
                total += n
            elif kind == "warc":
                n = _count_warc(name)
                if n is None:
                    return None
                total += n
    return total


def _count_lines(name: str) -> int | None:
    if name.lower().endswith(".gz"):
        return None
    try:
        with open(name, "rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None


def _count_warc(name: str) -> int | None:
    """HTML records in a WARC file (a read without extraction: decompression only)."""
    from warcio.archiveiterator import ArchiveIterator

    from storydiff.ingest.sources import _warc_html

    count = 0
    try:
        with open(name, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "resource") and _warc_html(record, 0) is not None:
                    count += 1
    except Exception:  # noqa: BLE001 - a corrupt file is reported by the real pass
        return count or None
    return count


def _count_rows(name: str) -> int | None:
    """CSV rows after the header (quoted fields may hold newlines, so lines are not rows)."""
    import csv

    if name.lower().endswith(".gz"):
        return None
    csv.field_size_limit(MAX_CSV_FIELD)
    try:
        with open(name, encoding="utf-8-sig", errors="replace", newline="") as fh:
            return max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    except (OSError, csv.Error):
        return None


def _worker_init() -> None:
    """Extraction worker set-up: leave Ctrl-C to the parent, and die with it (Linux) if it is killed."""
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("STORYDIFF_ONNX_THREADS", "1")  # one inference thread per worker: the workers share the cores
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def _extract_many(items: Sequence[RawInput]) -> list[Article | InputFailure]:
    """Worker task: extract each raw input; any error becomes an InputFailure for that input alone."""
    out: list[Article | InputFailure] = []
    for item in items:
        try:
            out.append(to_article(item))
        except NoArticleError as exc:
            out.append(InputFailure(exc.source, exc.reason, error=False))
        except InputError as exc:
            out.append(InputFailure(exc.source, exc.reason))
        except Exception as exc:  # noqa: BLE001 - untrusted input must not stop the batch
            out.append(InputFailure(item.source, f"extraction failed ({type(exc).__name__}: {exc})"[:300]))
    return out


_WORKER_MODELS: dict[tuple[int, str], Any] = {}  # (pid, backend) -> embedder loaded in this worker


def _embed_texts(backend: str, texts: list[str]) -> tuple[str, Any]:
    """Worker task: embed texts with the named backend (loaded once per worker process)."""
    from storydiff.analyze.embed import new_embedder

    key = (os.getpid(), backend)  # keyed by pid: a worker forked later must not use its parent's session
    if key not in _WORKER_MODELS:
        try:
            _WORKER_MODELS[key] = new_embedder(backend)
        except Exception as exc:  # noqa: BLE001 - remembered, so each later task fails at once
            _WORKER_MODELS[key] = exc
    model = _WORKER_MODELS[key]
    if isinstance(model, Exception):
        raise model
    return model.name, model.encode(texts)


class PooledEmbedder:
    """The story model run on the ingest workers, a few texts per task, with the main process's copy as fallback.

    Embedding is ingest's dearest step; run in the main process it leaves the workers waiting while
    it places a batch. Texts are sorted by length before they are cut into tasks (less padding).
    """

    def __init__(self, local: Any, backend: str, pool: _Workers) -> None:
        self.name: str = local.name
        self.contextual: bool = getattr(local, "contextual", False)
        self._local = local
        self._backend = backend
        self._pool = pool
        self._failed = False  # a task failed (a worker died or hung): the rest of the run embeds here

    @property
    def local(self) -> Any:
        """The main process's copy of the model."""
        return self._local

    def warm_up(self) -> None:
        """Have each worker load the model now, between extractions, rather than at the first batch."""
        if not self._pool.in_process:
            with contextlib.suppress(BrokenProcessPool, RuntimeError):
                for _ in range(self._pool.workers):
                    self._pool.executor.submit(_embed_texts, self._backend, ["warm-up"])

    def encode(self, texts: Sequence[str]) -> Any:
        """Embed texts on the workers (in order); a task that fails is redone here."""
        return self.submit(texts)()

    def submit(self, texts: Sequence[str]) -> Callable[[], Any]:
        """Start embedding texts on the workers; the returned function waits for the vectors (in order)."""
        import numpy as np

        texts = list(texts)
        if self._pool.in_process or self._failed or len(texts) < EMBED_CHUNK:
            return lambda: self._local.encode(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        try:
            tasks = [(rows, self._pool.executor.submit(_embed_texts, self._backend, [texts[i] for i in rows]))
                     for rows in _chunks(order, EMBED_CHUNK)]
        except (BrokenProcessPool, RuntimeError):  # the pool died (extraction restarts it): embed here
            self._failed = True
            return lambda: self._local.encode(texts)

        def collect() -> Any:
            out: Any = None
            deadline = time.monotonic() + self._pool.chunk_timeout  # one wait for the group, not one per task
            for rows, fut in tasks:
                try:
                    name, vecs = fut.result(timeout=max(deadline - time.monotonic(), 0.0))
                    if name != self.name:
                        raise ValueError(f"a worker loaded {name}")
                except Exception:  # noqa: BLE001 - a dead, stuck or odd worker costs only speed
                    self._failed = True
                    vecs = self._local.encode([texts[i] for i in rows])
                vecs = np.asarray(vecs, dtype=np.float32)
                if out is None:
                    out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
                out[rows] = vecs
            return out

        return collect


class _InProcess(Executor):
    """An executor that runs tasks at once, in this process (small inputs, tests)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            fut.set_exception(exc)
        return fut


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Run:
    """The mutable tallies of one ingest run."""

    def __init__(self, store: Store, placer: Placer, progress: Progress | None,
                 on_failure: Callable[[InputFailure], None] | None, on_placed: Progress | None = None) -> None:
        self.on_placed = on_placed
        self.store = store
        self.placer = placer
        self.progress = progress
        self.on_failure = on_failure
        self.read = self.extracted = self.added = self.already = self.duplicates = 0
        self.skipped: Counter[str] = Counter()
        self.failures: list[InputFailure] = []
        self.created: set[str] = set()
        self.grown: set[str] = set()
        self.committed = store.counts()["inputs"]  # raw inputs committed so far, by any run
        self.pool: _Workers | None = None  # the extraction workers (the placer may embed on them)
        self.pooled = False  # whether the placer was offered the workers

    def fail(self, failure: InputFailure, count_read: bool) -> None:
        if failure.error:
            self.failures.append(failure)
        else:
            self.skipped[failure.reason.split(" (")[0]] += 1
        if self.on_failure:
            self.on_failure(failure)
        if count_read:
            self.read += 1
            self._tick(1)

    def _tick(self, n: int) -> None:
        if self.progress and n:
            self.progress(n)

    def fresh(self, raws: Iterator[RawInput | InputFailure]) -> Iterator[RawInput]:
        """Raw inputs the store has not seen yet (failures are tallied on the way)."""
        seen: set[str] = set()
        for group in _chunks(raws, LOOKUP_SIZE):
            items = []
            for x in group:
                if isinstance(x, InputFailure):
                    self.fail(x, count_read=x.error or x.reason != "unsupported file type")
                else:
                    items.append(x)
            known = self.store.known_inputs(x.input_hash for x in items)
            for item in items:
                if item.input_hash in known or item.input_hash in seen:
                    self.read += 1
                    self.already += 1
                    self._tick(1)
                    continue
                seen.add(item.input_hash)
                yield item

    def commit(self, pairs: list[tuple[RawInput, Article]]) -> None:
        """Place and write one batch of extracted articles."""
        self.read += len(pairs)
        self.extracted += len(pairs)
        with_ids = [(raw, replace(art, id=content_id(art))) for raw, art in pairs]
        known = self.store.known_articles(a.id for _, a in with_ids)
        new: dict[str, tuple[RawInput, Article]] = {}
        repeats: list[tuple[str, str, str]] = []
        for raw, art in with_ids:
            if art.id in known or art.id in new:
                repeats.append((raw.input_hash, art.id, raw.source))
                self.already += 1
            else:
                new[art.id] = (raw, art)
        self.committed += len(pairs)
        if not new:  # only repeats of stored articles: record their inputs, leave the stories stage alone
            self.store.write(Batch(inputs=repeats))
            return
        ordered = sorted(new.values(), key=lambda p: time_key(p[1].published))
        articles = [art for _, art in ordered]
        self.offer_pool()
        many = getattr(self.placer, "place_many", None)
        placements = list(many(articles)) if many else [self.placer.place(a) for a in articles]
        merges = list(self.placer.merges()) if hasattr(self.placer, "merges") else []
        resolve = getattr(self.placer, "resolve", None)
        if resolve:
            placements = [replace(p, story_id=resolve(p.story_id)) for p in placements]
        existing = self.store.known_stories({p.story_id for p in placements})
        rows = []
        for (raw, art), placed in zip(ordered, placements, strict=True):
            if placed.story_id in existing and placed.story_id not in self.created:
                self.grown.add(placed.story_id)  # a story from before this run
            else:
                self.created.add(placed.story_id)
            if placed.duplicate_of:
                self.duplicates += 1
            rows.append(StoredArticle(art, placed.story_id, placed.duplicate_of, placed.similarity,
                                      placed.edits, raw.input_hash))
        self.store.write(Batch(rows, repeats, self.placer.state(), merges=merges))
        if self.on_placed:
            self.on_placed(len(pairs))
        self.added += len(rows)

    def offer_pool(self) -> None:
        """Let the placer embed on the extraction workers (once; this builds a lazy placer)."""
        if self.pool is not None and not self.pooled:
            self.pooled = True
            embed_on = getattr(self.placer, "embed_on", None)
            if embed_on:
                embed_on(self.pool)

    def summary(self, seconds: float) -> IngestSummary:
        placed = self.created or self.grown  # (a lazy placer is not built just to resolve nothing)
        resolve = (getattr(self.placer, "resolve", None) if placed else None) or (lambda story_id: story_id)
        grown = {resolve(x) for x in self.grown}  # stories from before this run (merges followed)
        created = {resolve(x) for x in self.created} - grown
        return IngestSummary(
            read=self.read, extracted=self.extracted, added=self.added, already_stored=self.already,
            duplicates=self.duplicates, new_stories=len(created), stories_grown=len(grown),
            skipped=dict(self.skipped), failures=tuple(self.failures), seconds=seconds,
        )


def ingest(paths: Iterable[str | os.PathLike[str]], store: Store, options: IngestOptions | None = None, *,
           placer: Placer | None = None, progress: Progress | None = None,
           on_failure: Callable[[InputFailure], None] | None = None,
           on_placed: Progress | None = None, total: int | None = None) -> IngestSummary:
    """Ingest articles from files, folders, JSONL, CSV and WARC into the store; return what happened.

    `placer` is the stories stage (default: `default_placer(store)`); `progress` is called as inputs
    finish extraction, `on_placed` as extracted articles are placed and committed, and `on_failure`
    with each bad or skipped input as it is found; `total` (e.g. from
    `count_inputs`) only decides whether a process pool is worth starting. A second ingest into the
    same store file while one runs raises StoreError.
    """
    options = options or IngestOptions()
    paths = list(paths)
    started = time.perf_counter()
    workers = options.workers or os.cpu_count() or 1
    small = total is not None and total < MIN_PARALLEL
    with store.writer_lock():
        if placer is None:
            embedder = options.embedder
            placer = _Lazy(lambda: default_placer(store, embedder) if embedder else default_placer(store))
        run = _Run(store, placer, progress, on_failure, on_placed)
        return _ingest(paths, store, options, run, workers, small, started)


class _Lazy:
    """The default placer, built on first use: a run that adds nothing loads no model or saved state."""

    def __init__(self, build: Callable[[], Placer]) -> None:
        self._build = build
        self._placer: Placer | None = None

    def __getattr__(self, name: str) -> Any:
        if self._placer is None:
            self._placer = self._build()
        return getattr(self._placer, name)


def _ingest(paths: list[str | os.PathLike[str]], store: Store, options: IngestOptions, run: _Run, workers: int,
            small: bool, started: float) -> IngestSummary:
    pool = _Workers(workers, in_process=workers == 1 or small)
    run.pool = pool
    try:
        raws = run.fresh(iter_inputs(paths, options.sources))
        held: list[tuple[float, int, RawInput, Article]] = []  # a heap, oldest publication first
        arrived = 0
        window = max(options.reorder_window, 0)
        for chunk, results in _extracted(pool, raws, workers * WINDOW_PER_WORKER):
            for raw, result in zip(chunk, results, strict=True):
                if isinstance(result, InputFailure):
                    run.fail(result, count_read=True)
                    continue
                arrived += 1
                if arrived == 1:
                    run.offer_pool()  # the stories stage loads while the workers extract, not after
                heapq.heappush(held, (time_key(result.published), arrived, raw, result))
                run._tick(1)
                # checked at every article (not every chunk), so which articles share a batch does not
                # depend on how the inputs were chunked, which differs when a re-run skips stored ones
                batch = batch_size(options.batch_size, run.committed)
                if len(held) >= window + batch:
                    run.commit([_pop(held) for _ in range(batch)])
        while held:
            run.commit([_pop(held) for _ in range(min(batch_size(options.batch_size, run.committed), len(held)))])
    finally:
        pool.shutdown()
    return run.summary(time.perf_counter() - started)


def batch_size(first: int, committed: int) -> int:
    """Articles in the next batch: `first`, doubled while under 1/BATCH_GROWTH of the inputs committed.

    The saved stories state grows with the store, so batches grow to write it less often. The size
    depends on the store alone, never on timing: a run resumed after a kill commits the same batches
    (the clusterer consolidates per batch) and so ends with the same stories as an uninterrupted run.
    """
    size = max(first, 1)
    while size < MAX_BATCH_SIZE and size * BATCH_GROWTH < committed:
        size *= 2
    return size


def _pop(heap: list[tuple[float, int, RawInput, Article]]) -> tuple[RawInput, Article]:
    _, _, raw, art = heapq.heappop(heap)
    return raw, art


def time_key(published: str | None) -> float:
    """Seconds since the epoch of an ISO date or datetime (naive = UTC); +inf when unknown."""
    if not published:
        return math.inf
    try:
        when = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.fromisoformat(published.strip()[:10])
        except ValueError:
            return math.inf
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


class _Workers:
    """The extraction pool; a worker that dies or hangs inside a parser costs only the input it was on."""

    def __init__(self, workers: int, in_process: bool) -> None:
        self.workers = workers
        self.in_process = in_process
        self.input_timeout = INPUT_TIMEOUT_S
        self.chunk_timeout = INPUT_TIMEOUT_S * CHUNK_SIZE
        self.executor = self._start()

    def _start(self) -> Executor:
        if self.in_process:
            return _InProcess()
        return ProcessPoolExecutor(self.workers, initializer=_worker_init)

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()

    def kill(self) -> None:
        """Kill the workers (one is stuck) and start a fresh pool."""
        for proc in list((getattr(self.executor, "_processes", None) or {}).values()):
            proc.kill()  # ProcessPoolExecutor has no public way to stop a running task
        self.restart()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def one_by_one(self, chunk: list[RawInput]) -> list[Article | InputFailure]:
        """Extract each input in its own task, so one that kills or hangs its worker is named and skipped."""
        out: list[Article | InputFailure] = []
        for item in chunk:
            try:
                out.extend(self.executor.submit(_extract_many, [item]).result(timeout=self.input_timeout))
            except BrokenProcessPool:
                out.append(InputFailure(item.source, "extraction crashed its worker process"))
                self.restart()
            except TimeoutError:
                out.append(InputFailure(item.source, f"extraction took over {self.input_timeout:g} s"))
                self.kill()
        return out


def _extracted(pool: _Workers, raws: Iterator[RawInput],
               window: int) -> Iterator[tuple[list[RawInput], list[Article | InputFailure]]]:
    """Extract chunks of raw inputs on the pool, in order, with a bounded number in flight."""
    queue: deque[tuple[list[RawInput], Future[list[Article | InputFailure]]]] = deque()
    redo = 0  # chunks still queued from a pool that died: redone one input at a time

    def take() -> tuple[list[RawInput], list[Article | InputFailure]]:
        nonlocal redo
        chunk, fut = queue.popleft()
        if redo:
            redo -= 1
            return chunk, pool.one_by_one(chunk)
        try:
            return chunk, fut.result(timeout=None if pool.in_process else pool.chunk_timeout)
        except BrokenProcessPool:
            pool.restart()
        except TimeoutError:
            pool.kill()
        redo = len(queue)
        return chunk, pool.one_by_one(chunk)

    def submit(chunk: list[RawInput]) -> Future[list[Article | InputFailure]]:
        nonlocal redo
        try:
            return pool.executor.submit(_extract_many, chunk)
        except BrokenProcessPool:  # it died under another task (e.g. embedding): the queued chunks go one by one
            pool.restart()
            redo = len(queue)
            return pool.executor.submit(_extract_many, chunk)

    for chunk in _chunks(raws, CHUNK_SIZE):
        queue.append((chunk, submit(chunk)))
        while len(queue) >= window:
            yield take()
    while queue:
        yield take()


# --- the stories stage -------------------------------------------------------------------------

CLUSTER_STATE_KEY = "stories.cluster"  # the clusterer's saved index in the store's `state` table
DEDUPE_STATE_KEY = "stories.dedupe"  # the near-duplicate index's saved state


def default_placer(store: Store, embedder: str | None = None) -> Placer:
    """The stories stage for this store (copies, then stories), resumed from the state it saved.

    `embedder` (auto, minilm, model2vec, hashing) picks the clusterer's backend for a store without
    stories yet; a store that has them keeps the backend it was built with.
    """
    if embedder is None:
        return StoryPlacer(store)
    from storydiff.stories.cluster import ClusterOptions

    return StoryPlacer(store, ClusterOptions(backend=embedder))


def _load_state(store: Store, key: str) -> dict[str, Any] | None:
    blob = store.get_state(key)
    if blob is None:
        return None
    try:
        return json.loads(zlib.decompress(blob))  # type: ignore[no-any-return]
    except (zlib.error, ValueError) as exc:
        raise StoreError(f"{store.path}: the saved {key!r} state cannot be read ({exc})") from None


def _dump_state(state: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode("utf-8"), 1)


class StoryPlacer:
    """Copies first (MinHash LSH: a reprint joins its original's story), then the story clusterer.

    Both indexes are resumed from the store's `state` table and saved back with every batch.
    """

    def __init__(self, store: Store, options: Any = None) -> None:
        from storydiff.stories.cluster import StoryClusterer
        from storydiff.stories.dedupe import DedupeIndex

        self.store = store
        cluster_state = _load_state(store, CLUSTER_STATE_KEY)
        dedupe_state = _load_state(store, DEDUPE_STATE_KEY)
        try:
            self.clusterer = StoryClusterer.from_state(cluster_state) if cluster_state else StoryClusterer(options)
            self.dedupe = DedupeIndex.from_state(dedupe_state) if dedupe_state else DedupeIndex()
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{store.path}: the saved stories state cannot be resumed ({exc})") from None
        self._story_of: dict[str, str] = {}  # article id -> story id (this run)

    def place_many(self, articles: Sequence[Article]) -> list[Placement]:
        """Place a batch (already in time order): copies take their original's story; the rest are clustered."""
        import numpy as np

        submit = getattr(self.clusterer.embedder, "submit", None)
        copies: dict[int, Any] = {}
        independent: list[Article] = []
        waiting: list[Callable[[], Any]] = []  # embeddings started on the workers while copies are sought
        for i, art in enumerate(articles):
            dup = self.dedupe.add(art)
            if dup is not None:
                copies[i] = dup
                continue
            independent.append(art)
            if submit and len(independent) % EMBED_GROUP == 0:
                waiting.append(submit([self.clusterer.embed_text(a) for a in independent[-EMBED_GROUP:]]))
        vectors = None
        if submit and independent:
            rest = independent[len(waiting) * EMBED_GROUP :]
            if rest:
                waiting.append(submit([self.clusterer.embed_text(a) for a in rest]))
            vectors = np.concatenate([collect() for collect in waiting])
        stories = iter(self.clusterer.add_many(independent, vectors))
        if independent:
            self.clusterer.consolidate()  # merges go to drain_merges(), which the batch writes
        wanted = {d.duplicate_of for d in copies.values()} - set(self._story_of)
        stored = self.store.story_ids(wanted)
        out = []
        for i, art in enumerate(articles):
            dup = copies.get(i)
            if dup is None:
                out.append(Placement(next(stories)))
            else:
                # the original is in this run, or in the store; else (its story unknown) it starts one
                story = self._story_of.get(dup.duplicate_of) or stored.get(dup.duplicate_of) or f"s-{art.id}"
                edits = {**dup.edits.to_dict(), "containment": dup.containment}
                out.append(Placement(self.clusterer.resolve(story), duplicate_of=dup.duplicate_of,
                                     similarity=dup.similarity, edits=edits))
            self._story_of[art.id] = out[-1].story_id
        return out

    def embed_on(self, pool: _Workers) -> None:
        """Run the story model on this run's workers when it is one worth sending there (else in-process)."""
        model = self.clusterer.embedder
        model = getattr(model, "local", model)  # a placer reused by another run: unwrap the last pool
        if model.name in POOLED_MODELS and not pool.in_process:
            pooled = PooledEmbedder(model, POOLED_MODELS[model.name], pool)
            self.clusterer.use_embedder(pooled)
            pooled.warm_up()
        else:
            self.clusterer.use_embedder(model)

    def place(self, article: Article) -> Placement:
        """Place one article."""
        return self.place_many([article])[0]

    def merges(self) -> list[tuple[str, str]]:
        """Stories merged since the last call: (absorbed, surviving)."""
        return self.clusterer.drain_merges()

    def resolve(self, story_id: str) -> str:
        """The story a merged story id now belongs to."""
        return self.clusterer.resolve(story_id)

    def state(self) -> dict[str, bytes]:
        """Both indexes as zlib-compressed JSON, saved with each batch."""
        return {CLUSTER_STATE_KEY: _dump_state(self.clusterer.to_state()),
                DEDUPE_STATE_KEY: _dump_state(self.dedupe.to_state())}
