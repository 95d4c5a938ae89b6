"""The bad input matrix, through `storydiff extract`, `compare` and `ingest` as a user runs them.

Each bad input gets one line on stderr naming it and what was wrong, the good inputs beside it are
still read, and the exit code says some inputs failed. The big and binary fixtures are generated
in tmp_path at test time (never committed).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from tests.test_ingest import KeywordPlacer

from storydiff.cli import main

GOOD_A = """Harbour ferry service halted after engine fire

The Skarnvik ferry service was halted on Monday after a fire broke out in the engine room of the MV Aldren, the port authority said.

All 212 passengers were brought ashore safely. Two crew members were treated for smoke inhalation, according to port spokesperson Ilse Marrow.

"We will not resume sailings until the engine has been inspected," Marrow said.
"""
GOOD_B = """Engine fire stops Skarnvik ferry

A fire in the engine room of the MV Aldren stopped the Skarnvik ferry on Monday, the port authority said.

About 200 passengers were taken off the ship. Three crew members were treated for smoke inhalation.

The operator said sailings would resume on Friday.
"""
RUSSIAN = ("Пожар на пароме в порту Скарнвик\n\nВ понедельник в машинном отделении парома вспыхнул пожар, "
           "сообщили в администрации порта. Все 212 пассажиров были благополучно доставлены на берег.\n")
CHINESE = "斯卡恩维克港渡轮起火\n\n周一，渡轮机舱发生火灾，港务局表示。全部212名乘客已安全上岸。两名船员因吸入烟雾接受治疗。\n"
GEORGIAN = ("სკარნვიკის ბორანზე ხანძარი გაჩნდა\n\nორშაბათს ბორანის სამანქანო განყოფილებაში ხანძარი გაჩნდა, "
            "განაცხადეს პორტის ადმინისტრაციაში. ყველა მგზავრი უსაფრთხოდ გადაიყვანეს ნაპირზე.\n")
BIG_BYTES = 50_000_000  # the "50 MB file"
NESTING = 100_000  # levels of <div> around the article
BOMB_BYTES = 1 << 30  # what the gzip bomb inflates to (it is about 1 MB on disk)


def _truncated_warc() -> bytes:
    """One WARC response record whose Content-Length promises 5,000 bytes and holds far fewer."""
    head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://skarnvik-post.example/ferry\r\n"
            "WARC-Date: 2031-04-08T09:00:00Z\r\nWARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789012>\r\n"
            "Content-Type: application/http; msgtype=response\r\nContent-Length: 5000\r\n\r\n")
    body = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><h1>Ferry</h1><p>" + GOOD_A[:300]
    return (head + body).encode()


def _gzip_bomb() -> bytes:
    """1 GB of zeros in ~1 MB: one compressed 1 MB member repeated (concatenated members are valid gzip)."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    return member * (BOMB_BYTES >> 20)


def _nested_html() -> str:
    return "<html><body>" + "<div>" * NESTING + f"<p>{GOOD_A}</p>" + "</div>" * NESTING + "</body></html>"


def _all_boilerplate() -> str:
    nav = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(40))
    return (f"<html><body><nav><ul>{nav}</ul></nav><footer><p>Copyright 2031 Skarnvik Post. All rights "
            "reserved.</p><p>Subscribe to our newsletter. Cookie settings. Privacy policy.</p></footer></body></html>")


def _big_text(path: Path) -> None:
    line = (" ".join(GOOD_A.split()) + "\n").encode()
    with path.open("wb") as fh:
        fh.write(line * (BIG_BYTES // len(line) + 1))


@dataclass(frozen=True)
class Case:
    """One bad (or merely unusual) input and what each command must make of it."""

    name: str  # file name in tmp_path
    extract: str  # "ok:<text in the body>" or "error:<text in the one-line message>"
    ingest: str  # the same for `storydiff ingest`; "skip:<text>" is a reported skip (no article)
    note: str = ""  # text of the one `note:` line `compare` prints about a readable input it cannot fully analyse


UNKNOWN = "error:unknown file type"
NO_MODEL = "storydiff has no name model for it"
CASES = [
    Case("empty.txt", "error:empty file", "error:empty file"),
    Case("whitespace.txt", "error:empty file", "error:empty file"),
    Case("binary.html", "error:binary file", "error:binary file"),
    Case("invalid-utf8.txt", "ok:Skarnvik ferry service", "ok:Skarnvik ferry service"),
    Case("mixed-encodings.txt", "ok:Skarnvik ferry service", "ok:Skarnvik ferry service"),
    Case("utf16-bom.txt", "ok:Skarnvik ferry service", "ok:Skarnvik ferry service"),
    Case("cp1251.txt", "ok:Все 212 пассажиров", "ok:Все 212 пассажиров", NO_MODEL),
    Case("gb2312.txt", "ok:全部212名乘客", "ok:全部212名乘客", NO_MODEL),
    Case("huge.txt", "error:over the 20000000-byte limit", "error:over the 20000000-byte limit"),
    Case("nested.html", "error:nested over 255 levels", "skip:nested over 255 levels"),
    Case("no-article.html", "error:no article text", "skip:no article text"),
    Case("all-boilerplate.html", "error:no article text", "skip:no article text"),
    Case("truncated.warc", UNKNOWN, "error:truncated"),
    Case("bomb.jsonl.gz", UNKNOWN, "error:over the 10000000-byte limit"),
    Case("wrong-types.json", "error:field 'title' must be a string, got int",
         "error:field 'title' must be a string, got int"),
    Case("list-not-object.json", "error:got a list", "error:expected an article object"),
    Case("georgian.txt", "ok:ყველა მგზავრი", "ok:ყველა მგზავრი", NO_MODEL),
    Case("duplicate", "error:given more than once", "error:given more than once"),
]
INGEST_XFAIL: dict[str, str] = {}  # cases `ingest` does not meet yet (none)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture of the matrix, generated (the 50 MB and 1 GB-inflating ones included)."""
    d = tmp_path_factory.mktemp("bad-inputs")
    files: dict[str, bytes | str] = {
        "good-a.txt": GOOD_A,
        "good-b.txt": GOOD_B,
        "empty.txt": b"",
        "whitespace.txt": b"   \n\t\n  \r\n",
        "binary.html": bytes(range(256)) * 64,
        "invalid-utf8.txt": GOOD_A.encode()[:200] + b"\xff\xfe\xc3\x28\xa0\xa1" + GOOD_A.encode()[200:],
        "mixed-encodings.txt": GOOD_A.encode() + RUSSIAN.encode("cp1251") + CHINESE.encode("gb2312"),
        "utf16-bom.txt": GOOD_A.encode("utf-16"),
        "cp1251.txt": RUSSIAN.encode("cp1251"),
        "gb2312.txt": CHINESE.encode("gb2312"),
        "nested.html": _nested_html(),
        "no-article.html": "<html><head><title>Log in</title></head><body><form><input name=q>"
                           "<button>Go</button></form></body></html>",
        "all-boilerplate.html": _all_boilerplate(),
        "truncated.warc": _truncated_warc(),
        "bomb.jsonl.gz": _gzip_bomb(),
        "wrong-types.json": json.dumps({"title": 5, "text": ["a", "b"], "published": {"day": 1}}),
        "list-not-object.json": json.dumps([{"title": "x"}, 3]),
        "georgian.txt": GEORGIAN,
    }
    for name, data in files.items():
        (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    _big_text(d / "huge.txt")
    return d


def _arg(inputs: Path, case: Case) -> str:
    return str(inputs / ("good-a.txt" if case.name == "duplicate" else case.name))


def _one_line_about(err: str, name: str, reason: str) -> None:
    """Exactly one stderr line names the input, and it says what was wrong."""
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1, f"expected one line naming {name}, got {lines!r}"
    assert reason in lines[0], lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_extract(inputs: Path, case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    first = str(inputs / "good-a.txt") if case.name == "duplicate" else str(inputs / "good-b.txt")
    code = main(["extract", first, _arg(inputs, case), "--format", "json"])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    kind, _, expect = case.extract.partition(":")
    if kind == "ok":
        assert code == 0 and err == ""
        assert len(rows) == 2 and expect in rows[1]["body"]
    else:
        assert code == 2
        assert len(rows) == 1, "the good input beside the bad one is still extracted"
        _one_line_about(err, Path(_arg(inputs, case)).name, expect)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compare(inputs: Path, case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    goods = [str(inputs / "good-a.txt"), str(inputs / "good-b.txt")]
    code = main(["compare", *goods, _arg(inputs, case), "--no-model", "--embedder", "hashing", "--format", "json",
                 "--date", "2031-04-08"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    kind, _, expect = case.extract.partition(":")
    if kind == "ok":
        assert code == 0 and "error" not in err and "skipped" not in err
        assert len(report["articles"]) == 3
        assert expect in json.dumps(report, ensure_ascii=False)
        if case.note:
            _one_line_about(err, case.name, case.note)
        else:
            assert "note:" not in err, err
    else:
        assert code == 1
        assert len(report["articles"]) == 2, "the comparison goes on with the readable reports"
        _one_line_about(err, Path(_arg(inputs, case)).name, expect)


@pytest.fixture(scope="module")
def ingested(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    """One `storydiff ingest -v` over the whole matrix and the two good files, as a user would run it."""
    db = tmp_path_factory.mktemp("bad-ingest") / "news.duckdb"
    args = [str(inputs / "good-a.txt"), str(inputs / "good-b.txt")]
    args += [_arg(inputs, c) for c in CASES]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("storydiff.ingest.pipeline.default_placer", lambda store: KeywordPlacer())
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["ingest", *args, "--db", str(db), "--workers", "1", "--no-progress", "-v"])
    return code, out.getvalue(), err.getvalue(), db


def _bodies(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT body FROM articles").fetchall()]


def test_ingest_summary(ingested: tuple[int, str, str, Path]) -> None:
    code, out, err, db = ingested
    assert code == 2, "the exit code says some inputs failed"
    assert "failed " in out
    bodies = _bodies(db)
    assert sum("Skarnvik ferry service was halted" in b for b in bodies) >= 1
    assert any("Three crew members" in b for b in bodies)
    for line in err.splitlines():
        assert line.startswith(("storydiff: error: ", "storydiff: skipped: ")), line


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=INGEST_XFAIL[c.name])) if c.name in INGEST_XFAIL
     else c for c in CASES],
    ids=[c.name for c in CASES],
)
def test_ingest(ingested: tuple[int, str, str, Path], inputs: Path, case: Case) -> None:
    code, out, err, db = ingested
    kind, _, expect = case.ingest.partition(":")
    name = Path(_arg(inputs, case)).name
    if kind == "ok":
        assert not [line for line in err.splitlines() if f"/{name}" in line]
        assert any(expect in b for b in _bodies(db))
    else:
        label = "error" if kind == "error" else "skipped"
        lines = [line for line in err.splitlines() if f"/{name}" in line]
        if case.name == "duplicate":  # good-a.txt is named twice: a line must say so
            lines = [line for line in lines if "more than once" in line or "twice" in line]
        assert len(lines) == 1, f"expected one line naming {name}, got {lines!r}"
        assert lines[0].startswith(f"storydiff: {label}: ") and expect in lines[0], lines[0]


def test_the_gzip_bomb_is_what_it_claims(inputs: Path) -> None:
    """The bomb fixture really inflates to 1 GB (checked without holding it in memory)."""
    data = (inputs / "bomb.jsonl.gz").read_bytes()
    assert len(data) < 2_000_000
    total, d = 0, zlib.decompressobj(16 + zlib.MAX_WBITS)
    total += len(d.decompress(data[: len(data) // 1024], 0))
    assert total >= 1 << 20


def test_a_truncated_warc_record_keeps_the_records_before_it(tmp_path: Path) -> None:
    """A complete record, then one cut short: the first is read, the second is one failure saying so."""
    from storydiff.ingest.sources import InputFailure, RawInput, iter_inputs

    page = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + GOOD_B + "</p></body></html>").encode()
    head = _truncated_warc().split(b"\r\n\r\n", 1)[0].replace(b"Content-Length: 5000", b"Content-Length: %d" % len(page))
    path = tmp_path / "two.warc"
    path.write_bytes(head + b"\r\n\r\n" + page + b"\r\n\r\n" + _truncated_warc())
    items = list(iter_inputs([path]))
    assert [type(i) for i in items] == [RawInput, InputFailure]
    assert items[1].source == f"{path}@{len(head) + 4 + len(page) + 4}" and "truncated WARC record" in items[1].reason
