"""The DuckDB store: migrations, idempotent writes, queries, export, and one writer at a time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from storydiff.errors import StoreError
from storydiff.model import Article
from storydiff.store import MIGRATIONS, SCHEMA_VERSION, Batch, Store, StoredArticle

A = Article(id="gazette-1", body="The bridge closed on Tuesday.", title="Bridge closed", outlet="Gazette",
            url="https://gazette.example/1", published="2031-04-08T09:00:00+00:00")
B = Article(id="courier-1", body="The bridge closed on Tuesday, officials said.", title="Bridge shut",
            outlet="Valley_Courier", published="2031-04-08")
C = Article(id="herald-1", body="A library will be built for 3.2 million crowns.", title="Library vote 100%",
            outlet="Herald", published="2031-04-01")


def _batch() -> Batch:
    return Batch(
        [StoredArticle(A, "s1", input_hash="h-a"),
         StoredArticle(B, "s1", duplicate_of="gazette-1", similarity=0.9, edits={"headline": "changed"},
                       input_hash="h-b"),
         StoredArticle(C, "s2", input_hash="h-c")],
        state={"clusterer": b"\x00state"},
    )


def _dump(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("articles", "stories", "inputs", "state", "schema_migrations")}
    finally:
        con.close()


def test_migrations_are_recorded_and_run_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.migrate() == []
    con = duckdb.connect(str(path))
    rows = con.execute("SELECT version, name FROM schema_migrations").fetchall()
    con.close()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    con.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    with pytest.raises(StoreError, match="newer"):
        Store(path, read_only=True)


def test_read_only_needs_an_existing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "missing.duckdb", read_only=True)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(StoreError, match="not a storydiff store"):
        Store(other, read_only=True)


def test_writing_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = Store(path)
    store.write(_batch())
    first = _dump(path)
    store.write(_batch())
    assert _dump(path) == first
    assert store.counts()["articles"] == 3


def test_story_rows_and_filters() -> None:
    store = Store(":memory:")
    store.write(_batch())
    rows = {r.id: r for r in store.stories()}
    assert rows["s1"].reports == 1 and rows["s1"].articles == 2 and rows["s1"].outlets == 2
    assert rows["s1"].title == "Bridge closed"
    assert [r.id for r in store.stories(since="2031-04-05")] == ["s1"]
    assert [r.id for r in store.stories(outlet="herald")] == ["s2"]
    assert [r.id for r in store.stories(search="100%")] == ["s2"]
    assert store.stories(search="_%") == []  # wildcards in the search are literal
    assert [r.id for r in store.stories(outlet="y_c")] == ["s1"]
    assert store.stories(outlet="y%c") == []
    copies = [s for s in store.articles(story_id="s1") if s.duplicate_of]
    assert copies[0].edits == {"headline": "changed"} and copies[0].similarity == 0.9
    assert [s.article.id for s in store.articles(story_id="s1", independent=True)] == ["gazette-1"]
    assert store.get_state("clusterer") == b"\x00state"
    assert store.known_inputs(["h-a", "h-x"]) == {"h-a"}
    with pytest.raises(StoreError, match="no story"):
        store.story("nope")


def test_export_jsonl_and_parquet(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).write(_batch())
    reader = Store(path, read_only=True)
    for fmt in ("jsonl", "parquet"):
        out = tmp_path / f"out-{fmt}"
        files = reader.export(out, fmt)
        assert {f.name for f in files} >= {f"articles.{fmt}", f"stories.{fmt}"}
        fn = "read_json" if fmt == "jsonl" else "read_parquet"
        rows = duckdb.sql(f"SELECT url, outlet, title, published, story_id, duplicate_of "
                          f"FROM {fn}('{out / ('articles.' + fmt)}') ORDER BY outlet").fetchall()
        assert rows[2][1:] == ("Valley_Courier", "Bridge shut", "2031-04-08", "s1", "gazette-1")
    with pytest.raises(StoreError, match="jsonl, parquet"):
        reader.export(tmp_path / "x", "csv")


def test_reader_waits_for_the_writer_to_let_go(tmp_path: Path) -> None:
    """Another process holding the file makes a reader wait and retry, not fail."""
    path = tmp_path / "s.duckdb"
    Store(path).write(_batch())
    hold = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time, sys; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
         "time.sleep(1.5); c.close()"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "held"
        started = time.monotonic()
        rows = Store(path, read_only=True, timeout=20).stories()
        assert len(rows) == 2
        assert time.monotonic() - started > 0.3
    finally:
        hold.wait(timeout=20)


def test_locked_store_fails_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path)
    hold = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep(3)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="locked by another process"):
            Store(path, read_only=True, timeout=0.2)
    finally:
        hold.kill()
        hold.wait()


def test_a_file_that_is_not_duckdb_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.duckdb"
    path.write_text("not a database")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path, read_only=True)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)
