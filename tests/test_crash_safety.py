"""Crash safety: `storydiff ingest` killed with SIGKILL at random points resumes to the same store, and
readers (`storydiff stories`, `storydiff serve`) keep working while an ingest writes.

Reproduce a failure with the seed it names: STORYDIFF_CRASH_SEED=N pytest tests/test_crash_safety.py
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests import _crash

from storydiff.ingest.pipeline import IngestOptions, Placement, batch_size, ingest
from storydiff.model import Article
from storydiff.store import Store

KILLS = 20  # SIGKILLs per test run (bench/crash_bench.py runs more)
CORPUS_STORIES = 20  # about 110 articles: 5 batches of 24 behind a reorder window of 40
READER_ROUNDS = 2  # at least this many CLI and web reads while the ingest is still running

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, _crash.Reference]:
    """The corpus and its uninterrupted ingest (store, time, calls of each kill point)."""
    work = tmp_path_factory.mktemp("crash")
    corpus = work / "corpus.jsonl"
    _crash.build_corpus(corpus, stories=CORPUS_STORIES, seed=5)
    return corpus, _crash.reference(corpus, work)


def test_the_reference_store_is_sound(reference: tuple[Path, _crash.Reference]) -> None:
    """The uninterrupted run holds copies, several stories and no orphan rows (else the kills test little)."""
    _, ref = reference
    assert ref.want.orphans == {}
    assert len(ref.want.articles) > 4 * _crash.BATCH_SIZE and len(ref.want.copies) > 5
    assert 5 < len(ref.want.stories) < len(ref.want.articles)
    assert ref.calls["committed"] >= 4  # several batches


def test_random_kills_resume_to_the_uninterrupted_store(reference: tuple[Path, _crash.Reference],
                                                        tmp_path: Path) -> None:
    """20 SIGKILLs (armed at a kill point or timed): each store reopens clean and ends as the reference."""
    corpus, ref = reference
    seed = int(os.environ.get("STORYDIFF_CRASH_SEED") or random.randrange(1 << 30))
    tally = _crash.kill_many(corpus, tmp_path, ref, KILLS, seed, parallel=2, per_store=10)
    print(f"crash seed {seed}: {tally}")
    assert tally.kills == KILLS
    assert not tally.mismatches, f"STORYDIFF_CRASH_SEED={seed}: " + "; ".join(tally.mismatches[:10])


def _stories_cli(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "storydiff", "stories", "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=_crash._env())


def test_readers_work_while_an_ingest_runs(reference: tuple[Path, _crash.Reference], tmp_path: Path) -> None:
    """`storydiff stories` and the serve Stories page answer, every time, while an ingest writes the file."""
    import httpx

    corpus, ref = reference
    db = tmp_path / "live.duckdb"
    Store(db)  # the schema, as an ingest's first step writes it
    serve = subprocess.Popen([sys.executable, "-m", "storydiff", "serve", "--db", str(db), "--port", "0",
                              "--no-model", "--embedder", "hashing"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_crash._env())
    ingest = None
    try:
        assert serve.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+/", serve.stdout.readline())
        assert url, serve.stderr.read() if serve.stderr else ""
        base = url.group(0)
        ingest = subprocess.Popen(_crash.ingest_argv(corpus, db), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=_crash._env())
        overlapped = 0
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, "the ingest did not finish"
            running = ingest.poll() is None
            cli = _stories_cli(db)
            assert cli.returncode == 0, cli.stderr
            for page in ("stories", "stories.json"):
                got = httpx.get(base + page, timeout=60)
                assert got.status_code == 200, got.text[:500]
            if not running:
                break
            overlapped += ingest.poll() is None  # the CLI and both pages were read while it wrote
        out, err = ingest.communicate(timeout=60)
        assert ingest.returncode in (0, 2), err
        assert overlapped >= READER_ROUNDS
        assert _crash.differences(_crash.snapshot(db), ref.want) == []
        assert len(_stories_cli(db).stdout.splitlines()) == len(ref.want.stories)
    finally:
        for proc in (ingest, serve):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


class BatchRecorder:
    """A stand-in stories stage that records which articles each committed batch placed together."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.batches: list[list[str]] = []
        self.stop_at = stop_at  # interrupt the run at this batch, before it is written

    def place_many(self, articles: list[Article]) -> list[Placement]:
        if self.stop_at is not None and len(self.batches) + 1 >= self.stop_at:
            raise KeyboardInterrupt  # the kill, between two commits
        self.batches.append([a.id for a in articles])
        return [Placement(f"s-{a.id}") for a in articles]

    def place(self, article: Article) -> Placement:
        return self.place_many([article])[0]

    def state(self) -> dict[str, bytes]:
        return {}


OPTIONS = IngestOptions(workers=1, batch_size=_crash.BATCH_SIZE, reorder_window=_crash.REORDER_WINDOW)


@pytest.fixture(scope="module")
def whole_batches(reference: tuple[Path, _crash.Reference], tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    """The batches an uninterrupted in-process ingest of the corpus commits."""
    whole = BatchRecorder()
    ingest([reference[0]], Store(tmp_path_factory.mktemp("whole") / "whole.duckdb"), OPTIONS, placer=whole)
    return whole.batches


@pytest.mark.parametrize("stop_at", [2, 4])
def test_a_resumed_run_commits_the_batches_an_uninterrupted_run_does(
        reference: tuple[Path, _crash.Reference], whole_batches: list[list[str]], tmp_path: Path,
        stop_at: int) -> None:
    """Regression: the batch size grew with timing and batches were cut at extraction chunks, so a re-run
    (which skips stored inputs, shifting the chunks) placed other articles together: other stories."""
    corpus, options = reference[0], OPTIONS
    store = Store(tmp_path / "cut.duckdb")
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], store, options, placer=BatchRecorder(stop_at))
    resumed = BatchRecorder()
    ingest([corpus], store, options, placer=resumed)
    assert resumed.batches == whole_batches[stop_at - 1:]
    assert len(whole_batches) >= 4


def test_batches_grow_with_the_store_alone() -> None:
    """The batch size is a function of the inputs committed, so it is the same in any run at that point."""
    assert [batch_size(512, n) for n in (0, 4096, 4097, 8193, 10**9)] == [512, 512, 1024, 2048, 16_384]
