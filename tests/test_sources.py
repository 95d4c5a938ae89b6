"""Walking ingest inputs: folders, JSONL, CSV, WARC and single files; bad records named and skipped."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from storydiff.errors import InputError
from storydiff.ingest.sources import InputFailure, RawInput, SourceOptions, iter_inputs, to_article

DATA = Path(__file__).parent / "data" / "ingest"

PAGE = ("<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>"
        "<p>The harbour bridge in Eldmoor closed on Tuesday after inspectors found a crack in a beam.</p>"
        "<p>Council leader Mara Quenby said repairs would take at least six weeks, and drivers face "
        "a diversion along the coast road.</p></article></body></html>")


def _split(items):  # type: ignore[no-untyped-def]
    raws = [x for x in items if isinstance(x, RawInput)]
    fails = [x for x in items if isinstance(x, InputFailure)]
    return raws, fails


def write_warc(path: Path, pages: list[tuple[str, str]], *, gz: bool = True) -> None:
    """A WARC with one HTML response per (url, title), plus a non-HTML response and a request record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for url, title in pages:
            body = PAGE.format(title=title).encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
            headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url + ".png", "response",
                                                          payload=io.BytesIO(b"\x89PNG..."), http_headers=headers))


def test_jsonl_bad_lines_are_named_and_skipped() -> None:
    raws, fails = _split(list(iter_inputs([DATA / "feed.jsonl"])))
    assert len(raws) == 7
    assert [f.source.rsplit(":", 1)[1] for f in fails] == ["5", "7"]
    assert "bad JSON" in fails[0].reason and "got list" in fails[1].reason
    assert raws[0].source.endswith("feed.jsonl:1") and raws[0].kind == "record"
    title_only = to_article(raws[-1])
    assert title_only.title and title_only.body == ""


def test_same_line_same_hash(tmp_path: Path) -> None:
    line = (DATA / "feed.jsonl").read_text().splitlines()[0]
    (tmp_path / "a.jsonl").write_text(line + "\n")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress((line + "\n").encode()))
    (raw_a,), _ = _split(list(iter_inputs([tmp_path / "a.jsonl"])))
    (raw_b,), _ = _split(list(iter_inputs([tmp_path / "b.jsonl.gz"])))
    assert raw_a.input_hash == raw_b.input_hash


def test_oversized_line_is_refused_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"title": "x" * 500}) + "\n" + json.dumps({"title": "Short title"}) + "\n")
    raws, fails = _split(list(iter_inputs([path], SourceOptions(max_record_bytes=100))))
    assert [f.source for f in fails] == [f"{path}:1"] and "limit" in fails[0].reason
    assert [r.source for r in raws] == [f"{path}:2"]


def test_csv_header_in_any_case_and_title_only_rows() -> None:
    raws, fails = _split(list(iter_inputs([DATA / "feed.csv"])))
    assert not fails and len(raws) == 3
    art = to_article(raws[0])
    assert art.outlet == "Hill Times" and art.published == "2031-04-09" and "90 km/h" in art.body
    assert to_article(raws[2]).body == ""


def test_csv_without_article_columns_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,age\nann,3\n")
    raws, fails = _split(list(iter_inputs([path])))
    assert not raws and len(fails) == 1 and "header names no title" in fails[0].reason


def test_folder_walk_is_recursive_and_skips_unsupported_files() -> None:
    raws, fails = _split(list(iter_inputs([DATA / "pages"])))
    assert sorted(Path(r.source).name for r in raws) == [
        "bridge.html", "empty-page.html", "ferry.txt", "gazette-library.html"]
    assert [(Path(f.source).name, f.error) for f in fails] == [("notes.bin", False)]


def test_missing_and_unknown_paths_are_errors(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    _, fails = _split(list(iter_inputs([tmp_path / "nope.jsonl", tmp_path / "x.pdf"])))
    assert [f.error for f in fails] == [True, True]
    assert "no such file" in fails[0].reason and "unsupported file type '.pdf'" in fails[1].reason


def test_json_file_with_a_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"title": "One headline here"}, 3, {"title": "Two headline here"}]))
    raws, fails = _split(list(iter_inputs([path])))
    assert [to_article(r).title for r in raws] == ["One headline here", "Two headline here"]
    assert fails[0].source == f"{path}[1]"


@pytest.mark.parametrize("gz", [True, False])
def test_warc_html_responses(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    write_warc(path, [("https://gazette.example/a", "Bridge closed"), ("https://courier.example/b", "Bridge shut")],
                gz=gz)
    raws, fails = _split(list(iter_inputs([path])))
    assert not fails and [r.url for r in raws] == ["https://gazette.example/a", "https://courier.example/b"]
    assert all("@" in r.source for r in raws)
    art = to_article(raws[0])
    assert art.url == "https://gazette.example/a" and "Mara Quenby" in art.body
    assert art.published  # the capture date stands in when the page has none


def test_truncated_warc_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, [("https://gazette.example/a", "Bridge closed"), ("https://courier.example/b", "Bridge shut"),
                      ("https://post.example/c", "Bridge cracked")])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    raws, fails = _split(list(iter_inputs([path])))
    assert len(raws) >= 2 and len(fails) == 1
    assert fails[0].source.startswith(f"{path}@") and "bad WARC record" in fails[0].reason


def test_to_article_reports_bad_input_as_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.html"
    path.write_bytes(b"\x00\x00\x00 binary")
    raws, _ = _split(list(iter_inputs([path])))
    with pytest.raises(InputError, match="binary"):
        to_article(raws[0])


def test_urls_are_fetched_by_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from _webserver import article_html, serve

    monkeypatch.setenv("STORYDIFF_CACHE", str(tmp_path / "cache"))
    with serve() as srv:
        srv.page("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
        srv.page("/news/ferry.html", article_html("Skarn ferry suspended in storm", [
            "The ferry between Eldmoor and Skarn island was suspended on Wednesday as winds reached 90 km/h.",
            "About 300 passengers were stranded on the island overnight, the operator said."]))
        url = srv.url("/news/ferry.html")
        raws, fails = _split(list(iter_inputs([url, url + "#again"])))
        assert not fails and raws[0].kind == "url" and raws[0].input_hash == raws[1].input_hash
        art = to_article(raws[0])
    assert "Skarn" in art.title and "300 passengers" in art.body


def test_aliased_fields_and_epoch_times(tmp_path: Path) -> None:
    from storydiff.ingest.sources import normalise_record

    rec = normalise_record({"headline": "Ferry halted", "publisher": "Hill Times", "hostname": "hill.example",
                            "link": "https://hill.example/1", "timestamp": "1394470370698"})
    assert rec["title"] == "Ferry halted" and rec["outlet"] == "Hill Times" and rec["url"].endswith("/1")
    assert rec["published"].startswith("2014-03-10T16:52:50")
    assert normalise_record({"title": "x", "published": 1394470370})["published"].startswith("2014-03-10")
    assert normalise_record({"title": "x", "outlet": "A", "publisher": "B"})["outlet"] == "A"
    path = tmp_path / "uci.csv"
    path.write_text("ID,TITLE,URL,PUBLISHER,TIMESTAMP\n1,Ferry halted in storm,https://h.example/1,Hill Times,"
                    "1394470370698\n")
    (raw,), _ = _split(list(iter_inputs([path])))
    art = to_article(raw)
    assert art.outlet == "Hill Times" and art.published and art.published.startswith("2014-03-10")


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    rows = "url,title\n" + "".join(f"https://x.example/{i},Headline number {i} about the ferry\n" for i in range(2000))
    data = gzip.compress(rows.encode())
    (tmp_path / "feed.csv.gz").write_bytes(data[: len(data) // 2])
    raws, fails = _split(list(iter_inputs([tmp_path / "feed.csv.gz"])))
    assert raws and len(fails) == 1 and "truncated" in fails[0].reason


def test_hostile_records_are_failures_not_crashes(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("[" * 100_000 + "\n" + json.dumps({"title": "Fine headline", "published": "999999999999"}) + "\n")
    raws, fails = _split(list(iter_inputs([path])))
    assert len(fails) == 1 and "nested too deeply" in fails[0].reason
    assert to_article(raws[0]).title == "Fine headline" and raws[0].payload["published"] is None
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    _, fails = _split(list(iter_inputs([deep])))
    assert len(fails) == 1 and "nested too deeply" in fails[0].reason
