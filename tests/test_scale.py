"""The Spark path agrees with the embedded path (copies, stories, reports) and survives a failed run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

from storydiff.analyze import AnalyzeOptions  # noqa: E402
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


def test_import_into_store(spark_out: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    assert import_tables(spark_out, store) == CORPUS
    assert import_tables(spark_out, store) == 0  # a second import adds nothing
    assert store.counts()["articles"] == CORPUS
    assert len(store.stories()) == len(_table(spark_out, "stories"))


def test_rerun_after_failure(spark, corpus: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("".join(corpus.read_text().splitlines(keepends=True)[:300]))
    out = tmp_path / "out"
    quick = SparkOptions(cluster=CLUSTER, reports=False)
    run(small, out, spark=spark, options=quick)
    first = {t: sorted(map(json.dumps, _table(out, t)), key=str) for t in ("articles", "duplicates", "stories")}
    manifest = (out / "_manifest.json").read_text()

    def fail(table: str) -> None:
        if table == "stories":
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run(small, out, spark=spark, options=quick, fault=fail)
    assert (out / "_manifest.json").read_text() == manifest  # the earlier result is untouched
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # no partial tables left
    (tmp_path / "out.tmp-stale").mkdir()  # what a killed (not failed) run leaves behind
    run(small, out, spark=spark, options=quick)
    assert {t: sorted(map(json.dumps, _table(out, t)), key=str) for t in first} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.jsonl"]
