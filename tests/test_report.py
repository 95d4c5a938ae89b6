"""Rendering: every format shows the sections, and article text is never executed or interpreted."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from tests._fixtures import GAZETTE, HERALD

from storydiff.comparison.pipeline import CompareOptions, compare_articles
from storydiff.report import FORMATS, render

HOSTILE = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))'


@pytest.fixture(scope="module")
def hostile_report():
    bad = replace(HERALD, title=HOSTILE, body=HERALD.body + f"\n\nA reader wrote {HOSTILE} online.")
    return compare_articles([bad, GAZETTE], CompareOptions(embedder="hashing"))


def test_html_escapes_article_text_and_blocks_scripts(hostile_report) -> None:
    html = render(hostile_report, "html")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()  # the report itself carries no script at all
    assert "default-src 'none'" in html
    assert "http://" not in html and "https://" not in html  # self-contained: nothing fetched


def test_markdown_escapes_links_and_html(hostile_report) -> None:
    md = render(hostile_report, "markdown")
    assert "<script>" not in md and "[click](javascript" not in md


def test_terminal_shows_markup_literally(hostile_report) -> None:
    text = render(hostile_report, "terminal", width=200)
    assert "<script>alert(1)</script>" in text  # shown as text, not interpreted


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_has_the_sections(fmt: str) -> None:
    report = compare_articles([HERALD, GAZETTE], CompareOptions(embedder="hashing"))
    out = render(report, fmt)
    if fmt == "json":
        assert json.loads(out)["alignments"]
    else:
        for section in ("Sources", "Headlines", "Differences inside agreement", "Only in"):
            assert section in out, section


UNRELATED = replace(GAZETTE, id="garden", title="Allotment show opens",
                    body="The allotment society opened its summer show of prize marrows and sweet peas.\n\n"
                         "Judges praised a record entry of heritage tomatoes grown by pupils.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_languages_and_a_report_that_shares_nothing(fmt: str) -> None:
    arts = [replace(HERALD, language="en"), replace(GAZETTE, language="en"), replace(UNRELATED, language="en")]
    report = compare_articles(arts, CompareOptions(embedder="hashing"))
    assert report.isolated == ("garden",)
    out = render(report, fmt)
    if fmt == "json":
        data = json.loads(out)
        assert {a["id"]: a["shares_nothing"] for a in data["articles"]} == {
            HERALD.id: False, GAZETTE.id: False, "garden": True}
        assert {a["language"] for a in data["articles"]} == {"en"}
    else:
        assert "shares nothing with the other reports" in out
        assert "English" in out or "| en " in out or " en " in out
