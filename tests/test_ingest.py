"""The ingest pipeline: counts, idempotency, resuming after a kill, parallel extraction, copies and stories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from tests.test_sources import write_warc

from storydiff.errors import StoreError
from storydiff.ingest.pipeline import (
    IngestOptions,
    Placement,
    PooledEmbedder,
    StoryPlacer,
    _Workers,
    content_id,
    count_inputs,
    ingest,
)
from storydiff.ingest.sources import to_article
from storydiff.model import Article
from storydiff.store import TABLES, Store

DATA = Path(__file__).parent / "data" / "ingest"
ONE_WORKER = IngestOptions(workers=1)


class KeywordPlacer:
    """A predictable stand-in for the stories stage: a story per headline keyword, copies by shared paragraphs."""

    KEYWORDS = ("bridge", "library", "ferry")

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.placed = 0
        self.seen: set[str] = set()
        self.paragraphs: dict[str, str] = {}

    def place(self, article: Article) -> Placement:
        self.placed += 1
        if self.fail_after is not None and self.placed > self.fail_after:
            raise KeyboardInterrupt  # a kill in the middle of a batch
        title = article.title.lower()
        story = next((k for k in self.KEYWORDS if k in title), f"s-{article.id}")
        new = story not in self.seen
        self.seen.add(story)
        shared = [self.paragraphs[p] for p in article.paragraphs if p in self.paragraphs]
        if len(shared) >= 2:
            return Placement(story, new, duplicate_of=shared[0], similarity=0.95, edits={"trimmed": 1})
        for p in article.paragraphs:
            self.paragraphs.setdefault(p, article.id)
        return Placement(story, new)

    def state(self) -> dict[str, bytes]:
        return {"keyword-placer": str(sorted(self.seen)).encode()}


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table (timestamps included)."""
    with store.connect() as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_counts_on_the_fixture_folder() -> None:
    store = Store(":memory:")
    done: list[int] = []
    summary = ingest([DATA], store, ONE_WORKER, placer=KeywordPlacer(), progress=done.append)
    assert summary.read == 16 and sum(done) == 16
    assert summary.extracted == summary.added == 13
    assert [Path(f.source).name for f in summary.failures] == ["feed.jsonl:5", "feed.jsonl:7"]
    assert summary.skipped == {"no article text found in the page": 1, "unsupported file type": 1}
    assert summary.new_stories == 3  # bridge, library, ferry
    assert store.counts()["articles"] == 13


def test_same_input_twice_leaves_every_table_unchanged() -> None:
    store = Store(":memory:")
    ingest([DATA], store, ONE_WORKER, placer=KeywordPlacer())
    before = dump(store)
    again = ingest([DATA], store, ONE_WORKER, placer=KeywordPlacer())
    assert again.added == again.extracted == 0 and again.already_stored == 13
    assert dump(store) == before


def test_same_article_from_another_file_is_not_added_again(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest([DATA / "feed.jsonl"], store, ONE_WORKER, placer=KeywordPlacer())
    other = tmp_path / "copy.jsonl"
    other.write_text((DATA / "feed.jsonl").read_text().splitlines()[0].replace('", "', '",  "') + "\n")
    summary = ingest([other], store, ONE_WORKER, placer=KeywordPlacer())
    assert summary.extracted == 1 and summary.added == 0 and summary.already_stored == 1
    assert store.counts()["articles"] == 7 and store.counts()["inputs"] == 8


def test_a_killed_run_resumes_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    options = IngestOptions(workers=1, batch_size=2)
    with pytest.raises(KeyboardInterrupt):
        ingest([DATA], Store(path), options, placer=KeywordPlacer(fail_after=5))
    partial = Store(path).counts()["articles"]
    assert 0 < partial < 13
    resumed = ingest([DATA], Store(path), options, placer=KeywordPlacer())
    assert resumed.added == 13 - partial and resumed.already_stored == partial
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone() == (13, 13)
    assert con.execute("SELECT count(*) FROM inputs").fetchone() == (13,)
    con.close()


def test_a_second_ingest_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = Store(path)
    hold = subprocess.Popen(
        [sys.executable, "-c", "import sys; from storydiff.store import Store\n"
         f"with Store({str(path)!r}).writer_lock():\n    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another ingest"):
            ingest([DATA / "feed.csv"], store, ONE_WORKER, placer=KeywordPlacer())
    finally:
        hold.communicate("", timeout=20)
    assert ingest([DATA / "feed.csv"], store, ONE_WORKER, placer=KeywordPlacer()).added == 3


def test_copies_and_stories_grown() -> None:
    store = Store(":memory:")
    first = ingest([DATA / "feed.jsonl"], store, ONE_WORKER, placer=(placer := KeywordPlacer()))
    assert first.duplicates == 1  # the Coastline Post reprint of the Northwire copy
    copy = next(s for s in store.articles(story_id="bridge") if s.duplicate_of)
    assert copy.article.outlet == "Coastline Post" and copy.edits == {"trimmed": 1}
    bridge = store.story("bridge")
    assert bridge.articles == 5 and bridge.reports == 4
    later = ingest([DATA / "pages"], store, ONE_WORKER, placer=placer)
    assert later.stories_grown == 2 and later.new_stories == 1  # bridge and library grow; ferry is new


def test_content_id_is_stable_and_readable() -> None:
    art = Article(id="x", body="Body.", title="Title", outlet="Valley Courier", url="https://v.example/1")
    assert content_id(art) == content_id(Article(id="other", body="Body.", title="Title",
                                                 outlet="Valley Courier", url="https://v.example/1"))
    assert content_id(art).startswith("valley-courier-")
    assert content_id(art) != content_id(Article(id="x", body="Body!", title="Title", outlet="Valley Courier"))


def test_count_inputs(tmp_path: Path) -> None:
    assert count_inputs([DATA / "feed.jsonl"]) == 10  # lines, blank and broken ones included
    assert count_inputs([DATA / "feed.csv", DATA / "pages"]) == 3 + 4
    shutil.copy(DATA / "feed.jsonl", tmp_path / "x.jsonl")
    assert count_inputs([tmp_path]) == 10
    write_warc(tmp_path / "crawl.warc.gz", [("https://a.example/1", "One"), ("https://b.example/2", "Two")])
    assert count_inputs([tmp_path]) == 12  # HTML responses only


def test_warc_ingest(tmp_path: Path) -> None:
    write_warc(tmp_path / "crawl.warc.gz", [("https://a.example/1", "Bridge closed"),
                                             ("https://b.example/2", "Bridge shut")])
    store = Store(":memory:")
    summary = ingest([tmp_path / "crawl.warc.gz"], store, ONE_WORKER, placer=KeywordPlacer())
    assert summary.added == 2 and summary.duplicates == 1  # the same body under two headlines
    assert {s.article.url for s in store.articles()} == {"https://a.example/1", "https://b.example/2"}


def test_parallel_ingest_of_the_allsides_dataset(datasets_dir: Path) -> None:
    """All cores, 1,479 real articles: everything goes in once, and a second run adds nothing."""
    path = datasets_dir / "allsides-roundups" / "articles.jsonl"
    store = Store(":memory:")
    summary = ingest([path], store, IngestOptions(workers=2), placer=KeywordPlacer())
    assert summary.read == summary.added == 1479 and not summary.failures
    again = ingest([path], store, IngestOptions(workers=2), placer=KeywordPlacer())
    assert again.added == 0 and again.already_stored == 1479


def _crashing_to_article(item):  # type: ignore[no-untyped-def]
    """Kill the worker process on one input, as a crash inside a C parser would."""
    if item.source.endswith(":3"):
        os._exit(1)
    return to_article(item)


def test_a_worker_crash_costs_only_its_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storydiff.ingest.pipeline.to_article", _crashing_to_article)
    store = Store(":memory:")
    summary = ingest([DATA / "feed.jsonl"], store, IngestOptions(workers=2), placer=KeywordPlacer())
    failed = {Path(f.source).name: f.reason for f in summary.failures}
    assert sorted(failed) == ["feed.jsonl:3", "feed.jsonl:5", "feed.jsonl:7"]
    assert failed["feed.jsonl:3"] == "extraction crashed its worker process"
    assert summary.added == 6


def _hanging_to_article(item):  # type: ignore[no-untyped-def]
    """Hang on one input, as a parser stuck on hostile markup would."""
    if item.source.endswith(":3"):
        time.sleep(600)
    return to_article(item)


def test_a_hung_input_is_killed_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storydiff.ingest.pipeline.to_article", _hanging_to_article)
    monkeypatch.setattr("storydiff.ingest.pipeline.INPUT_TIMEOUT_S", 1.0)
    started = time.monotonic()
    summary = ingest([DATA / "feed.jsonl"], Store(":memory:"), IngestOptions(workers=2), placer=KeywordPlacer())
    failed = {Path(f.source).name: f.reason for f in summary.failures}
    assert failed["feed.jsonl:3"] == "extraction took over 1 s" and summary.added == 6
    assert time.monotonic() - started < 60


def test_one_bad_record_is_named_and_the_rest_goes_in(tmp_path: Path) -> None:
    """A WARC cut short in its last record and a JSONL with a broken line: each failure names its position."""
    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl, [("https://a.example/1", "Bridge closed"), ("https://b.example/2", "Library opens"),
                       ("https://c.example/3", "Ferry cancelled")])
    crawl.write_bytes(crawl.read_bytes()[:-200])
    feed = tmp_path / "feed.jsonl"
    good = [{"url": f"https://d.example/{i}", "outlet": "d", "title": f"Ferry report {i}",
             "text": f"Report number {i} on the ferry. " * 20} for i in range(3)]
    lines = [json.dumps(good[0]), '{"url": "https://d.example/x", "title": "cut', json.dumps(good[1]), json.dumps(good[2])]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store(":memory:")
    summary = ingest([crawl, feed], store, ONE_WORKER, placer=KeywordPlacer())
    sources = sorted(f.source for f in summary.failures)
    assert len(sources) == 2 and sources[0].startswith(f"{crawl}@") and sources[1] == f"{feed}:2"
    urls = {s.article.url for s in store.articles()}
    assert {"https://a.example/1", "https://b.example/2"} <= urls and {g["url"] for g in good} <= urls
    assert ingest([crawl, feed], store, ONE_WORKER, placer=KeywordPlacer()).added == 0


def _titles(datasets_dir: Path, n: int) -> list[dict[str, str]]:
    with (datasets_dir / "allsides-roundups" / "articles.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for _, line in zip(range(n), fh, strict=False)]


def test_the_story_model_runs_on_the_workers_with_the_same_vectors(datasets_dir: Path) -> None:
    """Titles embedded by the worker processes come back in order and equal the main process's vectors."""
    from storydiff.analyze.embed import get_embedder

    local = get_embedder("minilm")
    texts = [row["title"] for row in _titles(datasets_dir, 40)]
    pool = _Workers(2, in_process=False)
    try:
        pooled = PooledEmbedder(local, "minilm", pool)
        remote = pooled.encode(texts)
    finally:
        pool.shutdown()
    assert remote.shape == (40, 384)
    assert float((remote * local.encode(texts)).sum(axis=1).min()) > 0.99999


def _dying_embed(backend, texts):  # type: ignore[no-untyped-def]
    """Kill the worker process mid-embedding, as a crash inside the runtime would."""
    os._exit(1)


def test_a_worker_dying_while_embedding_costs_only_speed(datasets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storydiff.analyze.embed import get_embedder

    monkeypatch.setattr("storydiff.ingest.pipeline._embed_texts", _dying_embed)
    local = get_embedder("minilm")
    texts = [row["title"] for row in _titles(datasets_dir, 20)]
    pool = _Workers(2, in_process=False)
    try:
        pooled = PooledEmbedder(local, "minilm", pool)
        first = pooled.encode(texts)  # the workers die under it
        second = pooled.encode(texts)  # the pool is broken now: submitting fails, embedded here
    finally:
        pool.shutdown()
    expected = local.encode(texts)
    for vectors in (first, second):
        assert float((vectors * expected).sum(axis=1).min()) > 0.99999


def test_parallel_ingest_finds_the_stories_a_one_process_ingest_finds(datasets_dir: Path, tmp_path: Path) -> None:
    """The default stories stage on two workers (model on the workers) and in one process agree."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in _titles(datasets_dir, 120)), encoding="utf-8")

    def stories(workers: int) -> set[frozenset[str]]:
        store = Store(tmp_path / f"w{workers}.duckdb")
        placer = StoryPlacer(store)
        summary = ingest([feed], store, IngestOptions(workers=workers), placer=placer)
        assert summary.added == 120
        assert isinstance(placer.clusterer.embedder, PooledEmbedder) == (workers > 1)
        groups: dict[str | None, set[str]] = {}
        for row in store.articles():
            groups.setdefault(row.story_id, set()).add(row.article.url)
        return {frozenset(g) for g in groups.values()}

    one, two = stories(1), stories(2)
    assert one == two and len(one) < 120


def test_a_placer_reused_by_a_later_run_embeds_on_that_run(datasets_dir: Path, tmp_path: Path) -> None:
    rows = _titles(datasets_dir, 40)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in rows[:20]), encoding="utf-8")
    second.write_text("".join(json.dumps(r) + "\n" for r in rows[20:]), encoding="utf-8")
    store = Store(tmp_path / "s.duckdb")
    placer = StoryPlacer(store)
    assert ingest([first], store, IngestOptions(workers=2), placer=placer).added == 20
    assert ingest([second], store, ONE_WORKER, placer=placer).added == 20  # the first run's pool is gone
    model = placer.clusterer.embedder
    assert not isinstance(model, PooledEmbedder) and model.name == placer.clusterer.backend


def test_an_ingest_whose_workers_die_while_embedding_completes(datasets_dir: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool breaks under the model (its warm-up kills the workers): extraction restarts it, the rest is embedded here."""
    monkeypatch.setattr("storydiff.ingest.pipeline._embed_texts", _dying_embed)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in _titles(datasets_dir, 200)), encoding="utf-8")
    store = Store(tmp_path / "s.duckdb")
    summary = ingest([feed], store, IngestOptions(workers=2), placer=StoryPlacer(store))
    assert summary.added == 200 and not summary.failures


def _hanging_embed(backend, texts):  # type: ignore[no-untyped-def]
    """Hang inside the model, as a stuck worker would."""
    time.sleep(600)


def test_stuck_workers_delay_a_batch_once_not_once_per_task(datasets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storydiff.analyze.embed import get_embedder

    monkeypatch.setattr("storydiff.ingest.pipeline._embed_texts", _hanging_embed)
    local = get_embedder("minilm")
    texts = [row["title"] for row in _titles(datasets_dir, 64)]  # 8 tasks
    pool = _Workers(2, in_process=False)
    pool.chunk_timeout = 1.0
    started = time.monotonic()
    try:
        vectors = PooledEmbedder(local, "minilm", pool).encode(texts)
    finally:
        pool.kill()
        pool.shutdown()
    assert time.monotonic() - started < 5.0  # one 1 s wait for the group, then embedded here
    assert float((vectors * local.encode(texts)).sum(axis=1).min()) > 0.99999
