"""End to end through the command line: ingest, stories, story and export on the fictional fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from tests.test_ingest import KeywordPlacer, dump

from storydiff.cli import main
from storydiff.store import Store

DATA = Path(__file__).parent / "data" / "ingest"


@pytest.fixture()
def keyword_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ingest group stories by headline keyword, so the expected stories are known exactly."""
    monkeypatch.setattr("storydiff.ingest.pipeline.default_placer", lambda store: KeywordPlacer())


@pytest.fixture()
def db(tmp_path: Path, keyword_stories: None, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "news.duckdb"
    assert main(["ingest", str(DATA), "--db", str(path), "--workers", "1"]) == 2
    capsys.readouterr()
    return path


def test_ingest_reports_bad_inputs_and_a_summary(tmp_path: Path, keyword_stories: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "news.duckdb"
    assert main(["ingest", str(DATA), "--db", str(path), "--workers", "1", "-v"]) == 2
    out, err = capsys.readouterr()
    assert "13 new" in out and "failed      2 inputs" in out and "duplicates  1" in out
    errors = [line for line in err.splitlines() if line.startswith("storydiff: error:")]
    assert len(errors) == 2 and "feed.jsonl:5: bad JSON" in errors[0]
    assert "skipped:" in err and "notes.bin" in err
    assert main(["ingest", str(DATA / "feed.csv"), "--db", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["added"] == 0 and summary["already_stored"] == 3


def test_store_path_from_the_environment(tmp_path: Path, keyword_stories: None,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STORYDIFF_DB", str(tmp_path / "env.duckdb"))
    assert main(["ingest", str(DATA / "feed.csv")]) == 0
    assert (tmp_path / "env.duckdb").is_file()
    capsys.readouterr()
    assert main(["stories", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["ferry"] and rows[0]["reports"] == 3


def test_stories_with_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("ID") and "bridge" in out and "library" in out
    assert main(["stories", "--db", str(db), "--search", "Skarn", "--format", "json"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["ferry"]
    assert main(["stories", "--db", str(db), "--outlet", "rivertown", "--format", "json"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["library"]
    assert main(["stories", "--db", str(db), "--since", "2031-04-08", "--format", "json"]) == 0
    assert {json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()} == {"bridge", "ferry"}
    assert main(["stories", "--db", str(db), "--since", "April"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_story_compares_independent_reports_not_reprints(db: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "bridge.json"
    assert main(["story", "bridge", "--db", str(db), "--format", "json", "--output", str(out_file),
                 "--no-model", "--embedder", "hashing"]) == 0
    err = capsys.readouterr().err
    assert "Coastline Post" in err and "reprints" in err
    report = json.loads(out_file.read_text())
    outlets = sorted(a["outlet"] for a in report["articles"])
    assert "Coastline Post" not in outlets and {"Eldmoor Gazette", "Northwire", "Valley Courier"} <= set(outlets)
    assert report["alignments"]
    assert main(["story", "library", "--db", str(db), "--format", "markdown", "--no-model",
                 "--embedder", "hashing"]) == 0
    assert "Rivertown" in capsys.readouterr().out


def test_story_errors_are_one_line(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["story", "nope", "--db", str(db)]) == 4
    assert "no story 'nope'" in capsys.readouterr().err
    assert main(["stories", "--db", str(tmp_path / "missing.duckdb")]) == 4
    assert "no store here" in capsys.readouterr().err


def test_export_both_formats(db: Path, tmp_path: Path) -> None:
    for fmt in ("jsonl", "parquet"):
        out = tmp_path / f"export-{fmt}"
        assert main(["export", "--format", fmt, str(out), "--db", str(db)]) == 0
        fn = "read_json" if fmt == "jsonl" else "read_parquet"
        rows = duckdb.sql(f"SELECT url, outlet, title, published, story_id, duplicate_of "
                          f"FROM {fn}('{out / ('articles.' + fmt)}')").fetchall()
        assert len(rows) == 13
        assert sum(1 for r in rows if r[5]) == 1
        assert (out / f"stories.{fmt}").is_file()


def test_real_stories_stage_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default placer (story clusterer) groups the fixture's bridge reports; `story` compares them."""
    db = str(tmp_path / "real.duckdb")
    assert main(["ingest", str(DATA), "--db", db, "--embedder", "model2vec"]) == 2
    before = dump(Store(db, read_only=True))
    assert main(["ingest", str(DATA), "--db", db]) == 2  # the same inputs again: nothing changes
    assert dump(Store(db, read_only=True)) == before
    capsys.readouterr()
    assert main(["stories", "--db", db, "--search", "Eldmoor Gazette", "--format", "json"]) == 0
    assert capsys.readouterr().out == ""  # search looks at titles and text, not outlet names
    assert main(["stories", "--db", db, "--outlet", "Eldmoor Gazette", "--format", "json"]) == 0
    (bridge,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {"Eldmoor Gazette", "Northwire", "Valley Courier"} <= set(bridge["outlets"])
    assert bridge["copies"] == 1  # Coastline Post reprints the Northwire copy (MinHash LSH)
    assert main(["stories", "--db", db, "--outlet", "Rivertown Herald", "--format", "json"]) == 0
    (library,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert library["id"] != bridge["id"] and "Valley Courier" in library["outlets"]
    assert main(["story", bridge["id"], "--db", db, "--format", "json", "--no-model",
                 "--embedder", "hashing"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert len(report["articles"]) == bridge["reports"] and report["alignments"]
    assert "Coastline Post" in err and "reprints northwire-" in err
    assert "Coastline Post" not in {a["outlet"] for a in report["articles"]}


def test_stories_by_language(tmp_path: Path, keyword_stories: None, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "mixed.jsonl"
    records = [
        {"url": "https://a.example/1", "outlet": "A", "title": "Ferry service resumes",
         "text": "The ferry service across the sound resumed on Monday after repairs to the harbour ramp."},
        {"url": "https://b.example/1", "outlet": "B", "title": "Паромное сообщение возобновлено",
         "text": "Паромное сообщение через пролив возобновилось в понедельник после ремонта причала."},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    db = str(tmp_path / "s.duckdb")
    assert main(["ingest", str(src), "--db", db, "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["stories", "--db", db, "--language", "ru", "--format", "json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows and all("ru" in r["languages"] for r in rows)
    assert main(["stories", "--db", db, "--language", "ko", "--format", "json"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["export", "--db", db, "--format", "jsonl", str(tmp_path / "out")]) == 0
    exported = [json.loads(line) for f in (tmp_path / "out").rglob("articles*.jsonl") for line in f.open()]
    assert sorted(a["language"] for a in exported) == ["en", "ru"]
