"""Reports in any language and script: no traceback, no 500, no lost report (issue 14).

A property test mixes ten scripts in the reports of one comparison, alone and inside one sentence; then
every event of ../shared/datasets/world-dev is compared with `storydiff compare`, all its reports are
ingested, listed and exported, checked by `mt-check`, and each event is uploaded to the web compare page.
Models are loaded once for the whole file (one process); under CI=true a missing ../shared fails.
"""

from __future__ import annotations

import collections
import json
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storydiff import compare
from storydiff.analyze.language import article_language
from storydiff.cli import main
from storydiff.model import Article
from storydiff.report import FORMATS, render

LOCAL = "http://127.0.0.1"  # the web app answers loopback Host headers only
FUZZ_EXAMPLES = 12  # comparisons the property test runs; most pairs go to e5, about a second a report

# --- the property test: scripts alone and mixed ----------------------------------------------------------

# (letters, sentence end, cased): letters are code point ranges of each script's ordinary letters
SCRIPTS: dict[str, tuple[tuple[tuple[int, int], ...], str, bool]] = {
    "latin": (((0x61, 0x7A), (0xE0, 0xFF)), ".", True),
    "cyrillic": (((0x430, 0x44F),), ".", True),
    "greek": (((0x3B1, 0x3C9),), ".", True),
    "arabic": (((0x621, 0x64A),), "؟", False),
    "hebrew": (((0x5D0, 0x5EA),), ".", False),
    "devanagari": (((0x915, 0x939), (0x93E, 0x94C)), "।", False),
    "han": (((0x4E00, 0x4FFF),), "。", False),
    "hangul": (((0xAC00, 0xAD00),), ".", False),
    "kana": (((0x3041, 0x3096), (0x30A1, 0x30FA)), "。", False),
    "thai": (((0xE01, 0xE2E), (0xE31, 0xE3A)), " ", False),
}
QUOTES = (('"', '"'), ("“", "”"), ("«", "»"), ("„", "“"), ("「", "」"), ("‹", "›"))
NUMBERS = st.sampled_from(("3", "12", "1,500", "2.5", "40%", "٣٤", "३२", "１２", "7 000", "2031", "1er", "3-й"))
LANGUAGES = ("", "en", "ru", "el", "ar", "he", "hi", "zh", "ko", "ja", "th", "es", "de", "fr", "xx", "pt-BR")


@st.composite
def _word(draw: st.DrawFn, script: str) -> str:
    """One word of a script; a cased script's word is sometimes capitalised like a name."""
    ranges, _, cased = SCRIPTS[script]
    alphabet = st.one_of(*(st.characters(min_codepoint=lo, max_codepoint=hi) for lo, hi in ranges))
    word = draw(st.text(alphabet=alphabet, min_size=1, max_size=9))
    return word.capitalize() if cased and draw(st.booleans()) else word


@st.composite
def _sentence(draw: st.DrawFn, scripts: list[str]) -> str:
    """A sentence of one script, or of several mixed word by word, with names, numbers and a quote."""
    chosen = draw(st.lists(st.sampled_from(scripts), min_size=1, max_size=3))
    words: list[str] = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.integers(0, 9))
        script = draw(st.sampled_from(chosen))
        if kind == 0:
            words.append(draw(NUMBERS))
        elif kind == 1:  # a run of capitalised words: what a name looks like
            words.extend(draw(_word("latin")).capitalize() for _ in range(draw(st.integers(2, 3))))
        elif kind == 2:
            opening, closing = draw(st.sampled_from(QUOTES))
            inner = " ".join(draw(_word(script)) for _ in range(draw(st.integers(1, 5))))
            words.append(f"{opening}{inner}{closing}")
        else:
            words.append(draw(_word(script)))
    end = SCRIPTS[chosen[-1]][1]
    return " ".join(words) + end


@st.composite
def _reports(draw: st.DrawFn) -> list[Article]:
    """Two to four reports of one comparison, each in one or several scripts."""
    reports = []
    for k in range(draw(st.integers(2, 4))):
        scripts = draw(st.lists(st.sampled_from(sorted(SCRIPTS)), min_size=1, max_size=4, unique=True))
        title = draw(_sentence(scripts)).rstrip(".。؟। ")
        paragraphs = [" ".join(draw(_sentence(scripts)) for _ in range(draw(st.integers(1, 2))))
                      for _ in range(draw(st.integers(1, 2)))]
        body = "\n\n".join(paragraphs)
        language = article_language(title, body) if draw(st.booleans()) else draw(st.sampled_from(LANGUAGES))
        reports.append(Article(id=f"r{k}", body=body, title=title, outlet=f"Outlet {k}", language=language,
                               published=draw(st.sampled_from((None, "2031-05-09", "2031-05-09T23:30:00+09:00")))))
    return reports


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_reports())
def test_mixed_scripts_never_break_a_comparison(articles: list[Article]) -> None:
    report = compare(articles, embedder="hashing")
    assert [a.id for a in report.articles] == [a.id for a in articles]  # no report lost
    assert {s.article for s in report.sentences} <= {a.id for a in articles}
    for fmt in FORMATS:
        assert render(report, fmt)


DATE_WORDS = ("1", "31", "2031", "1.", "1er", "de", "el", "am", "в", "mañana", "Morgen", "вчера", "miércoles",
              "agosto", "August", "августа", "8月", "1日", "2031年", "8월", "próximo", "pasado", "letzten", "،")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.sampled_from(DATE_WORDS), _word("latin"), _word("cyrillic"), _word("han")), max_size=12),
       st.sampled_from(sorted({"", "en", "es", "de", "ru", "fr", "pt", "zh", "ja", "ko", "tr", "ar", "hi", "th",
                               "he", "el", "ca", "sr", "id", "xx", "pt-BR", "zh-Hant"})),
       st.dates())
def test_dates_in_any_language_never_raise(words: list[str], language: str, published: date) -> None:
    from storydiff.analyze.dates import find_dates

    for ref in find_dates(" ".join(words), published, language):
        assert ref.resolved is None or date.fromisoformat(ref.resolved)

MIXED = {  # hand-made: one event told in four scripts, and a report mixing seven, some inside one sentence
    "en": "Bridge reopens in Averin\n\nThe Averin bridge reopened on Tuesday after 14 months of repairs, "
          "mayor Ines Moreau said. \"Traffic will be back to normal by Friday,\" she said.",
    "ru": "В Аверине открыли мост\n\nМост в Аверине открыли во вторник после 14 месяцев ремонта, "
          "сообщила мэр Инес Моро. «Движение восстановится к пятнице», — сказала она.",
    "el": "Άνοιξε η γέφυρα του Άβεριν\n\nΗ γέφυρα του Άβεριν άνοιξε την Τρίτη μετά από 14 μήνες εργασιών, "
          "δήλωσε η δήμαρχος Ίνες Μορό.",
    "zh": "阿韦林大桥重新开放\n\n经过14个月的维修，阿韦林大桥于周二重新开放，市长伊内斯·莫罗表示。"
          "她说，交通将在周五之前恢复正常。",
    "xx": "Averin 大桥 reopened во вторник\n\nMayor Ines Moreau (市长) said «мост открыт» after 14 months, "
          "عمدة Averin قالت, and ראש העיר agreed। 다리 재개통 ครับ。",
}


def test_a_known_mixed_comparison() -> None:
    articles = [Article(id=f"m-{k}", body=t.split("\n\n", 1)[1], title=t.split("\n\n", 1)[0],
                        outlet=f"Outlet {k}", published="2031-05-09", language=article_language(*t.split("\n\n", 1)))
                for k, t in MIXED.items()]
    report = compare(articles, embedder="hashing")
    assert [a.id for a in report.articles] == [a.id for a in articles]
    assert all(a.language for a in report.articles[:4])  # the mixed one may have none
    for fmt in FORMATS:
        assert render(report, fmt)


def test_mixed_scripts_ingest_list_export_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed, db, out = tmp_path / "mixed.jsonl", tmp_path / "mixed.duckdb", tmp_path / "export"
    feed.write_text("".join(json.dumps({"url": f"https://outlet-{k}.example/bridge", "outlet": f"Outlet {k}",
                                        "text": text}, ensure_ascii=False) + "\n" for k, text in MIXED.items()),
                    encoding="utf-8")
    assert main(["ingest", str(feed), "--db", str(db), "--embedder", "hashing", "--workers", "1",
                 "--no-progress"]) == 0
    assert main(["stories", "--db", str(db)]) == 0
    assert main(["export", "--db", str(db), str(out)]) == 0
    assert main(["mt-check", "--db", str(db), "--workers", "1", "--no-progress", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and json.loads(captured.out.strip().splitlines()[-1])["failed"] == 0
    rows = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(MIXED) and all(r["language"] for r in rows[:4])

# --- world-dev: every event through compare, ingest and the web page ---------------------------------------


@pytest.fixture(scope="module")
def world_dev(datasets_dir: Path) -> list[dict[str, Any]]:
    """The 72 world-dev reports (fails under CI=true when ../shared is missing, skips elsewhere)."""
    path = datasets_dir / "world-dev" / "stories.jsonl"
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _events(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_event: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in records:
        by_event[r["event_id"]].append(r)
    return dict(sorted(by_event.items()))


def _article_object(r: dict[str, Any]) -> dict[str, Any]:
    """A report as a user hands it to storydiff: page address, outlet, headline, date and text, no language."""
    return {"url": r["url"], "outlet": r["outlet"], "title": r.get("title") or "", "published": r.get("published"),
            "text": r["excerpt"]}


def _last_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).strip().splitlines()[-1]


def test_every_world_dev_event_compares(world_dev: list[dict[str, Any]], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    failures = []
    for event, records in _events(world_dev).items():
        files = []
        for k, r in enumerate(records):
            path = tmp_path / f"{event}-{k}.json"
            path.write_text(json.dumps(_article_object(r), ensure_ascii=False), encoding="utf-8")
            files.append(str(path))
        out = tmp_path / f"{event}.report.json"
        try:
            code = main(["compare", *files, "--format", "json", "--output", str(out)])
        except Exception as exc:  # noqa: BLE001 - every event is tried; the failures are listed together
            failures.append(f"{event}: {_last_line(exc)}")
            continue
        err = capsys.readouterr().err
        if code != 0 or "Traceback" in err:
            failures.append(f"{event}: exit {code}: {err.strip()[-300:]}")
            continue
        data = json.loads(out.read_text(encoding="utf-8"))
        sources = sorted(a.get("source", "") for a in data["articles"])
        if sources != sorted(files):
            failures.append(f"{event}: reports in the output {sources}, given {sorted(files)}")
        missing = [a["source"] for a in data["articles"] if not a.get("language")]
        if missing:
            failures.append(f"{event}: no language for {missing}")
    assert not failures, "\n".join(failures)


def test_world_dev_ingests_lists_exports_and_checks(world_dev: list[dict[str, Any]], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    feed, db, out = tmp_path / "world-dev.jsonl", tmp_path / "wd.duckdb", tmp_path / "export"
    feed.write_text("".join(json.dumps(_article_object(r), ensure_ascii=False) + "\n" for r in world_dev),
                    encoding="utf-8")
    assert main(["ingest", str(feed), "--db", str(db), "--workers", "1", "--no-progress", "--json"]) == 0
    assert main(["stories", "--db", str(db)]) == 0
    assert main(["export", "--db", str(db), "--format", "jsonl", str(out)]) == 0
    assert main(["mt-check", "--db", str(db), "--workers", "1", "--no-progress", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    check = json.loads(captured.out.strip().splitlines()[-1])
    assert check["failed"] == 0, check["failures"]  # a failure would be named and retried, but none is expected
    rows = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["url"] for r in rows) == sorted(r["url"] for r in world_dev)  # 72 stored, none lost
    assert all(r["language"] for r in rows), [r["url"] for r in rows if not r["language"]]


def _upload(client: Any, event: str, texts: list[str], outlets: list[str], dates: list[str],
            detectable: int | None = None) -> list[str]:
    """Post one event's reports to the compare page as pasted text; what went wrong, if anything (the first
    DETECTABLE reports, all by default, must show a language)."""
    posted = client.post("/compare", data={"text": texts, "outlet": outlets, "published": dates},
                         follow_redirects=False)
    if posted.status_code != 303:
        return [f"{event}: POST /compare answered {posted.status_code}: {posted.text[-300:]}"]
    url = posted.headers["location"]
    page, report = client.get(url), client.get(url + "/report.json")
    if page.status_code != 200 or report.status_code != 200:
        return [f"{event}: {url} answered {page.status_code}, its report.json {report.status_code}"]
    failures = []
    articles = report.json()["articles"]
    if len(articles) != len(texts) or page.text.count('class="col"') != len(texts):
        failures.append(f"{event}: {len(articles)} of {len(texts)} reports in the report")
    if not all(a.get("language") for a in articles[:detectable]):
        failures.append(f"{event}: languages {[a.get('language') for a in articles]}")
    for export in ("report.md", "report.html"):
        if (status := client.get(f"{url}/{export}").status_code) != 200:
            failures.append(f"{event}: {export} answered {status}")
    return failures


def test_every_world_dev_event_uploads_to_the_compare_page(world_dev: list[dict[str, Any]]) -> None:
    """Each event pasted into the web compare page as a user would (default options, the same models as the
    CLI test above, loaded once): 200, every report in its columns and exports."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storydiff.web.app import create_app

    client = TestClient(create_app(None), base_url=LOCAL, raise_server_exceptions=False)
    failures = []
    for event, records in _events(world_dev).items():
        texts = [f"{r['title']}\n\n{r['excerpt']}" if r.get("title") else r["excerpt"] for r in records]
        dates = [r["published"] if r.get("published") and len(r["published"]) == 10 else "" for r in records]
        failures += _upload(client, event, texts, [r["outlet"] for r in records], dates)
    failures += _upload(client, "mixed", list(MIXED.values()), [f"Outlet {k}" for k in MIXED], [""] * len(MIXED),
                        detectable=4)
    assert not failures, "\n".join(failures)

