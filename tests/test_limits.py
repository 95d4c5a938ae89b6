"""Limits: maximum input size, reports per comparison, sentence and body length; what happens past each.

The 50 MB file and the gzip bomb run through the CLI in test_bad_inputs.py; here each limit is
shown at its edge, cheaply (small limits patched in where the real one would need a big fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storydiff.analyze import AnalyzeOptions, analyze_article
from storydiff.analyze.sentences import MAX_BODY_CHARS, MAX_SENTENCE_CHARS, MAX_SENTENCES, split_sentences
from storydiff.cli import main
from storydiff.comparison.pipeline import MAX_ARTICLES, compare
from storydiff.errors import InputError, UsageError
from storydiff.ingest import extract
from storydiff.ingest.readers import MAX_BYTES, read_article
from storydiff.ingest.sources import SourceOptions, iter_inputs
from storydiff.model import Article

NO_MODEL = AnalyzeOptions(use_model=False)
SENTENCE = "The ferry council met on Monday and approved the budget of 5 million."


# --- input size ---------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(SENTENCE * 20)
    with pytest.raises(InputError, match=r"big\.txt: file is \d+ bytes, over the 1000-byte limit"):
        read_article(path, max_bytes=1_000)
    assert MAX_BYTES == 20_000_000


def test_a_record_over_the_size_limit_is_one_failure_and_the_next_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"title": "' + "x" * 2_000 + '"}\n{"title": "Ferry budget approved"}\n')
    items = list(iter_inputs([path], SourceOptions(max_record_bytes=1_000)))
    assert [getattr(i, "reason", "read") for i in items] == ["line is over the 1000-byte limit", "read"]


def test_html_past_the_extractor_cap_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "".join(f"<p>{SENTENCE} Paragraph {i}.</p>" for i in range(30))
    page = f"<html><body><article>{body}</article>{'<p>filler</p>' * 200}<p>SENTINEL LATE TEXT.</p></body></html>"
    monkeypatch.setattr(extract, "MAX_HTML_CHARS", len(page) - 200)
    art = extract.extract_html(page, source="capped.html")
    assert "Paragraph 29" in art.body and "SENTINEL" not in art.body


def test_text_past_the_text_cap_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 2_000)
    art = extract.extract_text("Ferry budget approved\n\n" + (SENTENCE + " ") * 40 + "\n\nSENTINEL LATE TEXT.")
    assert SENTENCE in art.body and "SENTINEL" not in art.body


# --- reports per comparison ------------------------------------------------------------------------------

def _reports(n: int) -> list[Article]:
    return [Article(id=f"r{i}", body=f"{SENTENCE} Report {i}.") for i in range(n)]


def test_compare_refuses_more_reports_than_the_limit() -> None:
    with pytest.raises(UsageError, match=f"at most {MAX_ARTICLES} reports at once \\(got {MAX_ARTICLES + 1}\\)"):
        compare(_reports(MAX_ARTICLES + 1), embedder="hashing", analyze=NO_MODEL)


def test_cli_compare_refuses_more_reports_than_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for i in range(MAX_ARTICLES + 1):
        paths.append(tmp_path / f"r{i:02d}.txt")
        paths[-1].write_text(f"Ferry report {i}\n\n{SENTENCE} Report {i}.\n")
    code = main(["compare", *map(str, paths), "--no-model", "--embedder", "hashing", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == UsageError.exit_code and out == ""
    assert f"compare takes at most {MAX_ARTICLES} reports at once (got {MAX_ARTICLES + 1})" in err


def test_compare_at_the_limit_runs() -> None:
    report = compare(_reports(3), embedder="hashing", analyze=NO_MODEL, max_articles=3)
    assert len(report.articles) == 3


# --- sentence and body length --------------------------------------------------------------------------

def test_a_runaway_sentence_is_cut_at_whitespace_and_nothing_is_lost() -> None:
    text = " ".join(f"word{i}" for i in range(2_000))  # ~15,000 characters, no full stop
    sents = split_sentences(text)
    assert len(sents) > 1 and all(len(s) <= MAX_SENTENCE_CHARS for s in sents)
    assert " ".join(sents).split() == text.split()


def test_body_past_the_analysis_cap_is_left_out() -> None:
    para = (SENTENCE + " ") * 100
    paragraphs = [para] * (MAX_BODY_CHARS // len(para) + 2) + ["SENTINEL LATE TEXT is never analysed."]
    sents = analyze_article(Article(id="long", body="\n\n".join(paragraphs)), options=NO_MODEL)
    assert sum(len(s.text) for s in sents) <= MAX_BODY_CHARS
    assert not any("SENTINEL" in s.text for s in sents)


def test_sentences_past_the_cap_are_left_out() -> None:
    body = "\n\n".join(f"Item {i} was sold." for i in range(MAX_SENTENCES + 200))
    sents = analyze_article(Article(id="many", body=body), options=NO_MODEL)
    assert len(sents) == MAX_SENTENCES and sents[-1].text == f"Item {MAX_SENTENCES - 1} was sold."
