"""Reading article files and records: formats, encodings, and one-line errors for bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storydiff.errors import InputError, NoArticleError
from storydiff.ingest.readers import article_from_record, read_article

DATA = Path(__file__).parent / "data" / "extract"


def test_read_reference_text(corpus_dir: Path) -> None:
    art = read_article(corpus_dir / "independent.txt", published="2022-03-01")
    assert art.id == "independent"
    assert art.source == str(corpus_dir / "independent.txt")
    assert art.published == "2022-03-01"
    assert art.subtitle.startswith("China has refused")
    assert "Your support" not in art.body


def test_read_html() -> None:
    art = read_article(DATA / "harbour.html")
    assert art.id == "harbour"
    assert art.title == "Harbour bridge reopens after repairs"
    assert art.outlet == "Coastline Courier"
    assert art.published == "2023-05-04"
    assert "240 tonnes" in art.body
    assert "“We promised the town a safer bridge" in art.body
    assert "Donate" not in art.body and "All rights reserved" not in art.body


def test_read_json() -> None:
    art = read_article(DATA / "harbour.json", published="1999-01-01")
    assert art.title == "Harbour bridge reopens"
    assert art.outlet == "Coastline Courier"
    assert art.published == "2023-05-04"
    assert art.url == "https://courier.example/harbour"
    assert art.paragraphs[-1] == "Engineers replaced 240 tonnes of corroded beams."
    assert any("newsletter" in b.text for b in art.dropped)


@pytest.mark.parametrize("name", ["utf16.txt", "latin1.txt"])
def test_encodings(name: str) -> None:
    art = read_article(DATA / name)
    assert art.body
    if name == "latin1.txt":
        assert "café" in art.body


def test_markdown(tmp_path: Path) -> None:
    f = tmp_path / "Some Story.md"
    f.write_text(
        "# Dam opens its gates\n\n**Officials** said the [reservoir](http://x) was full on Sunday.\n\n"
        "Farmers downstream were warned to move livestock to higher ground.\n",
        encoding="utf-8",
    )
    art = read_article(f)
    assert art.id == "some-story"
    assert art.title == "Dam opens its gates"
    assert art.paragraphs[0] == "Officials said the reservoir was full on Sunday."


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("a.pdf", b"%PDF-1.4", "unknown file type"),
        ("a.txt", b"", "empty"),
        ("a.txt", b"  \n\n ", "empty"),
        ("a.txt", b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("a.json", b"{not json", "bad JSON"),
        ("a.json", b"[1, 2]", "list"),
        ("a.json", b'"text"', "article object"),
        ("a.json", json.dumps({"title": 5}).encode(), "'title' must be a string"),
        ("a.json", json.dumps({"url": "http://x"}).encode(), "neither a title nor"),
    ],
)
def test_bad_inputs(tmp_path: Path, name: str, content: bytes, needle: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_article(f)
    assert str(f) in str(info.value) and needle in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_oversized(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_article(tmp_path / "nope.txt")
    f = tmp_path / "big.txt"
    f.write_text("Title\n\n" + "word " * 1000)
    with pytest.raises(InputError, match="limit"):
        read_article(f, max_bytes=100)


def test_page_without_article(tmp_path: Path) -> None:
    f = tmp_path / "menu.html"
    f.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(NoArticleError, match="menu.html"):
        read_article(f)
    g = tmp_path / "only-title.txt"
    g.write_text("Just a headline\n")
    with pytest.raises(NoArticleError, match="only-title.txt"):
        read_article(g)


def test_records() -> None:
    art = article_from_record({"title": "Only a headline", "outlet": "X"}, source="feed.jsonl:3")
    assert art.title == "Only a headline" and art.body == "" and art.outlet == "X"
    again = article_from_record({"title": "Only a headline", "outlet": "X"}, source="feed.jsonl:3")
    assert art.id == again.id
    html = (DATA / "harbour.html").read_text(encoding="utf-8")
    art = article_from_record({"html": html, "url": "https://c.example/h", "id": "H 1"}, source="r")
    assert art.id == "h-1" and "240 tonnes" in art.body and art.url == "https://c.example/h"
    with pytest.raises(InputError, match="feed.jsonl:4"):
        article_from_record({"url": "https://x"}, source="feed.jsonl:4")
    with pytest.raises(InputError, match="'text' must be a string"):
        article_from_record({"title": "t", "text": ["a"]}, source="r")


def test_record_text_repeating_its_title_does_not_keep_it_in_the_body() -> None:
    from storydiff.ingest.readers import article_from_record

    art = article_from_record({"title": "Harbour fire: many hurt", "text": "Harbour fire: many hurt\n\n"
                               "A fire broke out at the harbour on Monday and hurt twelve workers."}, source="t.json")
    assert art.title == "Harbour fire: many hurt"
    assert not art.body.startswith("Harbour fire")
