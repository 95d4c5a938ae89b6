"""The Spark path agrees with the embedded path (copies, stories, reports) and survives a failed run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

from storydiff.analyze import AnalyzeOptions  # noqa: E402
from storydiff.cli import main  # noqa: E402
from storydiff.comparison.pipeline import CompareOptions  # noqa: E402
from storydiff.scale import BlockOptions, SparkOptions, import_tables, run, run_embedded  # noqa: E402
from storydiff.scale._corpus import write_jsonl  # noqa: E402
from storydiff.scale._session import spark_session  # noqa: E402
from storydiff.scale.embedded import read_articles, story_report  # noqa: E402
from storydiff.store import Store  # noqa: E402
from storydiff.stories.cluster import ClusterOptions  # noqa: E402
from storydiff.stories.evaluate import adjusted_rand  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CORPUS = 2000  # articles in the equivalence corpus
PER_DAY = 100  # so the corpus spans about 3 weeks: 3 blocks of one 7-day window, stitched twice
SAMPLE_REPORTS = 8  # stories whose reports are compared byte for byte
SMALL = 300  # articles of the CLI and re-run tests
COMPARE = CompareOptions(embedder="model2vec", analyze=AnalyzeOptions(use_model=False))
CLUSTER = ClusterOptions(backend="model2vec")
OPTIONS = SparkOptions(cluster=CLUSTER, blocks=BlockOptions(block_windows=1), compare=COMPARE)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "news.jsonl"
    write_jsonl(str(path), CORPUS, per_day=PER_DAY)
    return path


def _table(out: Path, name: str) -> list[dict]:
    import pyarrow.dataset as ds

    return ds.dataset(str(out / name), format="parquet").to_table().to_pylist()


@pytest.fixture(scope="module")
def spark_out(spark, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spark") / "out"
    run(corpus, out, spark=spark, options=OPTIONS)
    return out


@pytest.fixture(scope="module")
def embedded(corpus: Path):
    articles, failures = read_articles([corpus])
    assert not failures
    return run_embedded(articles, cluster=CLUSTER)


def test_duplicate_pairs_agree(spark_out: Path, embedded) -> None:
    ours = {(r["article"], r["duplicate_of"]) for r in _table(spark_out, "duplicates")}
    theirs = {(k, d.duplicate_of) for k, d in embedded.duplicates.items()}
    assert len(theirs) > CORPUS // 20  # the corpus has copies to find
    common = len(ours & theirs) / len(ours | theirs)
    assert common >= 0.99, (len(ours - theirs), len(theirs - ours))


def test_story_clusters_agree(spark_out: Path, embedded) -> None:
    rows = {r["id"]: r for r in _table(spark_out, "articles")}
    assert set(rows) == set(embedded.stories)
    ids = sorted(rows)
    ari = adjusted_rand([rows[i]["story_id"] for i in ids], [embedded.stories[i] for i in ids])
    assert ari >= 0.95
    stories = _table(spark_out, "stories")
    assert sum(s["articles"] for s in stories) == CORPUS
    assert len({s["story_id"] for s in stories}) == len(stories)


def _outcome(articles) -> tuple[str, object]:
    """A story's report as plain data, or the kind of error comparing it raised."""
    try:
        return "report", json.loads(story_report(articles, COMPARE))
    except Exception as exc:  # noqa: BLE001 - both paths must fail alike
        return "error", type(exc).__name__


def test_story_reports_agree(spark_out: Path, embedded) -> None:
    rows = _table(spark_out, "articles")
    members: dict[str, set[str]] = {}
    for r in rows:
        if r["duplicate_of"] is None:
            members.setdefault(r["story_id"], set()).add(r["id"])
    reports = {r["story_id"]: r for r in _table(spark_out, "story_reports")}
    assert set(reports) == {s for s, m in members.items() if len(m) >= 2}
    assert sum(1 for r in reports.values() if r["report"]) > len(reports) // 2
    by_id = {a.id: a for a in embedded.articles}
    theirs: dict[str, set[str]] = {}
    for art_id, story in embedded.stories.items():
        if art_id not in embedded.duplicates:
            theirs.setdefault(story, set()).add(art_id)
    same = sorted(s for s in reports if members[s] in {frozenset(m) for m in theirs.values()})
    assert len(same) >= SAMPLE_REPORTS
    for story in random.Random(5).sample(same, SAMPLE_REPORTS):
        row = reports[story]
        ours = ("report", json.loads(row["report"])) if row["report"] else ("error", row["error"].split(":")[0])
        assert ours == _outcome([by_id[i] for i in members[story]])


def test_spark_sets_each_articles_language_as_ingest_does(spark_out: Path, corpus: Path) -> None:
    rows = _table(spark_out, "articles")
    articles, _ = read_articles([corpus])
    assert sorted(r["language"] for r in rows) == sorted(a.language for a in articles)
    assert sum(1 for r in rows if r["language"] == "en") >= 0.9 * len(rows)  # a few bare headlines are too short


def test_import_into_store(spark_out: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    assert import_tables(spark_out, store) == CORPUS
    assert import_tables(spark_out, store) == 0  # a second import adds nothing
    assert store.counts()["articles"] == CORPUS
    assert len(store.stories()) == len(_table(spark_out, "stories"))


@pytest.fixture(scope="module")
def small(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "small.jsonl"
    path.write_text("".join(corpus.read_text().splitlines(keepends=True)[:SMALL]))
    return path


def _tables(out: Path) -> dict[str, list[str]]:
    return {t: sorted(map(json.dumps, _table(out, t)), key=str) for t in ("articles", "duplicates", "stories")}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    return subprocess.run([sys.executable, "-m", "storydiff", *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def test_cli_bad_inputs_are_one_line(spark, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"url": "https://x.example/1", "text": ""}\nnot json\n[1, 2]\n')
    assert main(["spark", "run", str(bad), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no article found (3 inputs failed; first: " in err
    (tmp_path / "not-a-run" / "articles").mkdir(parents=True)
    (tmp_path / "not-a-run" / "articles" / "part-0.parquet").write_bytes(b"PAR1 not parquet")
    assert main(["spark", "run", str(tmp_path / "not-a-run"), str(tmp_path / "out")]) == 5  # Spark fails to read it
    err = capsys.readouterr().err
    assert err.startswith("storydiff: error: the Spark job failed: ") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no articles here")
    runs = {  # in fresh processes, as a user types them: these fail before Spark starts
        ("spark", "run", str(tmp_path / "missing.jsonl"), str(tmp_path / "out")): "missing.jsonl: no such file",
        ("spark", "run", str(tmp_path / "notes"), str(tmp_path / "out")): "no JSONL, Parquet or WARC input",
        ("import", str(tmp_path / "missing")): "no articles table",
        ("import", str(tmp_path / "not-a-run"), "--db", str(tmp_path / "s.duckdb")): "not a readable Parquet table",
    }
    for args, message in runs.items():
        done = _cli(*args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("storydiff: error: ") and done.stderr.count("\n") == 1, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def test_cli_run_import_and_rerun_after_failure_and_kill(spark, small: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    work, db = tmp_path / "runs", tmp_path / "s.duckdb"
    work.mkdir()
    out = work / "out"
    assert main(["spark", "run", str(small), str(out), "--no-reports", "--backend", "model2vec", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["articles"] == SMALL and summary["backend"].startswith("minilm-m2v")
    assert main(["import", str(out), "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith(f"{SMALL} articles imported into ")
    assert Store(db).counts()["articles"] == SMALL
    first = _tables(out)
    manifest = (out / "_manifest.json").read_text()
    quick = SparkOptions(cluster=CLUSTER, reports=False)  # what the command line above ran

    def fail(table: str) -> None:
        if table == "stories":
            raise RuntimeError("failed")

    with pytest.raises(RuntimeError):  # a run that fails after writing some tables
        run(small, out, spark=spark, options=quick, fault=fail)
    assert (out / "_manifest.json").read_text() == manifest  # the earlier result is untouched
    assert sorted(p.name for p in work.iterdir()) == ["out"]  # its partial tables are removed

    # a run killed (SIGKILL to the driver and its JVM) while it writes its tables
    job = subprocess.Popen([sys.executable, "-m", "storydiff", "spark", "run", str(small), str(out), "--no-reports",
                            "--backend", "model2vec", "--master", "local[1]"],
                           env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not list(work.glob("out.tmp-*/articles")) and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert job.poll() is None, "the run ended before it could be killed"
        os.killpg(job.pid, signal.SIGKILL)
    finally:
        job.wait(60)
    assert list(work.glob("out.tmp-*"))  # it left partial tables beside OUTPUT ...
    assert (out / "_manifest.json").read_text() == manifest  # ... and OUTPUT as it was

    run(small, out, spark=spark, options=quick)  # the next run removes them and writes the same result
    assert _tables(out) == first
    assert sorted(p.name for p in work.iterdir()) == ["out"]
