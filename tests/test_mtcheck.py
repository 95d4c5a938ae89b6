"""The store's machine-translation check: what it flags, that it resumes, and the Stories filter built on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storydiff.cli import main
from storydiff.mtcheck import check_store
from storydiff.store import Store

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "harbour-fire"
OTHER = {  # an unrelated story, plainly written: must not be flagged
    "url": "https://valley.example/library", "outlet": "Valley Times", "published": "2031-06-20",
    "title": "Averin library reopens after two years of repairs",
    "text": "The Averin public library reopened on Friday after two years of repairs.\n\n"
            "Librarian Ines Moreau said the new reading room seats ninety people.\n\n"
            "Moreau added that the children's section will open in September.",
}


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    feed = tmp_path / "other.jsonl"
    feed.write_text(json.dumps(OTHER) + "\n", encoding="utf-8")
    db = tmp_path / "news.duckdb"
    code = main(["ingest", str(EXAMPLE), str(feed), "--db", str(db), "--embedder", "hashing", "--workers", "1",
                 "--no-progress"])
    assert code == 0
    return db


def test_check_flags_the_garbled_copy_only(store_path: Path) -> None:
    store = Store(store_path)
    summary = check_store(store, workers=1)
    assert summary.checked == 4 and summary.flagged == 1 and summary.failed == 0
    flagged = summary.examples[0]
    assert flagged.outlet.startswith("Nordwire")
    assert any("Covalenco" in line and "Kobarenko" in line for line in flagged.evidence)
    assert store.mt_counts() == {"checked": 4, "flagged": 1, "unchecked": 0}
    assert check_store(store, workers=1).checked == 0  # a re-run has nothing left to do


def test_an_interrupted_check_resumes(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storydiff.mtcheck as mtcheck

    monkeypatch.setattr(mtcheck, "BATCH", 1)
    store = Store(store_path)
    calls = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append(done)
        if done == 2:
            raise KeyboardInterrupt  # Ctrl-C between two batches

    with pytest.raises(KeyboardInterrupt):
        check_store(store, workers=1, on_progress=stop_after_two)
    assert store.mt_counts()["checked"] == 2  # the finished batches were kept
    assert check_store(store, workers=1).checked == 2  # only the rest is checked again
    assert store.mt_counts() == {"checked": 4, "flagged": 1, "unchecked": 0}


def test_cli_prints_what_it_flagged(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mt-check", "--db", str(store_path), "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "checked 4 reports: 1 flagged as machine-translated" in out
    assert "Nordwire" in out and "Covalenco" in out
    assert main(["mt-check", "--db", str(store_path), "--format", "json", "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checked"] == 0 and data["store"] == {"checked": 4, "flagged": 1, "unchecked": 0}


def test_cli_names_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mt-check", "--db", str(tmp_path / "nope" / "x.duckdb"), "--no-progress"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("storydiff: error:") and "x.duckdb" in err and "Traceback" not in err


def test_stories_page_filters_by_the_flag(store_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storydiff.web.app import create_app

    def listing(client: TestClient, query: str) -> str:
        return client.get(f"/stories{query}").text

    before = TestClient(create_app(str(store_path)), base_url="http://127.0.0.1")
    page = listing(before, "?mt=1")
    assert "No stories match." in page and "4 reports not checked for machine translation yet" in page
    check_store(Store(store_path), workers=1)
    after = TestClient(create_app(str(store_path)), base_url="http://127.0.0.1")
    page = listing(after, "?mt=1")
    assert "harbour" in page.lower() and "library" not in page.lower() and "not checked" not in page
    assert 'name="mt" value="1" checked' in page and "MT?" in page
    everything = listing(after, "")
    assert "library" in everything.lower() and "harbour" in everything.lower()
    assert after.get("/stories.json?mt=1").json()["total"] == 1


def _fail_on(monkeypatch: pytest.MonkeyPatch, marker: str, calls: list[str]) -> None:
    """Make the check raise on every report whose title holds MARKER, counting the attempts."""
    import storydiff.mtcheck as mtcheck

    real = mtcheck.article_signal

    def flaky(art, options):  # type: ignore[no-untyped-def]
        if marker in art.title.lower():
            calls.append(art.id)
            raise ValueError("analysis broke\non two lines")
        return real(art, options)

    monkeypatch.setattr(mtcheck, "article_signal", flaky)


def test_a_report_that_fails_stays_unchecked_and_is_named(store_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import storydiff.mtcheck as mtcheck

    monkeypatch.setattr(mtcheck, "BATCH", 1)  # one report a batch: a failed one must not come back in this run
    calls: list[str] = []
    _fail_on(monkeypatch, "library", calls)
    store = Store(store_path)
    summary = check_store(store, workers=1)
    assert len(calls) == 1  # tried once, not retried in the same run
    assert summary.checked == 3 and summary.failed == 1 and summary.flagged == 1
    (failure,) = summary.failures
    assert failure.article_id == calls[0] and failure.outlet == "Valley Times" and "library" in failure.title.lower()
    assert failure.reason == "ValueError: analysis broke on two lines"  # one line
    assert store.mt_counts() == {"checked": 3, "flagged": 1, "unchecked": 1}
    assert summary.to_dict()["failures"] == [{"article_id": failure.article_id, "outlet": "Valley Times",
                                              "title": failure.title, "reason": failure.reason}]
    again = check_store(store, workers=1)  # still failing: tried once more, still unchecked
    assert len(calls) == 2 and again.checked == 0 and again.failed == 1
    monkeypatch.undo()
    fixed = check_store(store, workers=1)  # the next run, once it can be read, checks it
    assert fixed.checked == 1 and fixed.failed == 0 and not fixed.failures
    assert store.mt_counts() == {"checked": 4, "flagged": 1, "unchecked": 0}


def test_cli_names_the_reports_it_could_not_check(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _fail_on(monkeypatch, "library", [])
    assert main(["mt-check", "--db", str(store_path), "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "checked 3 reports: 1 flagged" in out and "1 could not be analysed" in out
    assert "could not analyse 1 report" in out and "Valley Times" in out
    assert "ValueError: analysis broke on two lines" in out
    assert main(["mt-check", "--db", str(store_path), "--format", "json", "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checked"] == 0 and data["failed"] == 1 and data["failures"][0]["outlet"] == "Valley Times"
    assert data["store"]["unchecked"] == 1


def test_failures_stored_as_checked_by_an_older_run_are_retried(store_path: Path) -> None:
    store = Store(store_path)
    (art,) = [a for a in store.unchecked_articles(10) if "library" in a.title.lower()]
    store.write_mt([(art.id, 0.0, False, ["not checked: ValueError: old failure"])])  # the old way of failing
    summary = check_store(store, workers=1)
    assert summary.checked == 4 and summary.failed == 0
    assert store.mt_counts() == {"checked": 4, "flagged": 1, "unchecked": 0}
