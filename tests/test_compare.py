"""End-to-end comparison: the reference pair scored like the answer key, and fictional reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from tests._fixtures import GAZETTE, HERALD, WIRE_MT

import storydiff
from storydiff.comparison.pipeline import CompareOptions, compare_articles


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "").replace("’", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", s).strip().lower()


def _overlaps(sent: str, gold: str) -> bool:
    a, b = _norm(sent), _norm(gold)
    if b in a or a in b:
        return True
    ta, tb = set(re.findall(r"\w+", a)), set(re.findall(r"\w+", b))
    return len(ta & tb) / max(1, min(len(ta), len(tb))) >= 0.6


@pytest.fixture(scope="module")
def reference(corpus_dir: Path) -> tuple[dict, dict]:
    report = storydiff.compare([corpus_dir / "independent.txt", corpus_dir / "retranslated.txt"])
    return json.loads(report.to_json()), json.loads((corpus_dir / "expected.json").read_text())


def test_reference_pair_passes_the_scorer(reference: tuple[dict, dict], corpus_dir: Path, tmp_path: Path) -> None:
    """The official scorer in ../shared/tools accepts the JSON report (every required check)."""
    report, _ = reference
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    scorer = corpus_dir.parent.parent / "tools" / "score_compare.py"
    out = subprocess.run([sys.executable, str(scorer), str(path), str(corpus_dir / "expected.json")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout


def test_reference_alignments_cover_shared_facts_precisely(reference: tuple[dict, dict]) -> None:
    """All shared facts are aligned, and at most one in ten aligned pairs is not a shared claim."""
    report, expected = reference
    links = [tuple(link) for al in report["alignments"] for link in al["links"]]
    text = {(s["article"], s["index"]): s["text"] for s in report["sentences"]}
    for fact in expected["shared_facts"]:
        assert any(_overlaps(text[(a, i)], fact["independent"]) and _overlaps(text[(b, j)], fact["retranslated"])
                   for a, i, b, j, _ in links), fact
    assert 6 <= len(links) <= 12  # hand-judged: every pair of this size is a true restatement (see README)


def test_quote_variants_show_word_diff_and_speakers(reference: tuple[dict, dict]) -> None:
    report, _ = reference
    quotes = [d for al in report["alignments"] for d in al["differences"] if d["type"] == "quote"]
    extremely = [d for d in quotes if "extremely" in d["details"]["a"]["text"]]
    assert extremely, quotes
    ops = extremely[0]["details"]["diff"]
    assert {"op": "delete", "a": "extremely", "b": ""} in ops
    assert extremely[0]["details"]["a"]["speaker"] == "Mr Wang"


def test_relative_and_absolute_dates_agree_when_published_is_known(corpus_dir: Path) -> None:
    """'last Thursday' (1 March 2022 article) and 'February 24th' are one day: no date difference."""
    report = storydiff.compare([corpus_dir / "independent.txt", corpus_dir / "retranslated.txt"],
                               published="2022-03-01")
    resolved = {d.text: d.resolved for s in report.sentences for d in s.dates}
    assert resolved["last Thursday"] == "2022-02-24"
    assert resolved["February 24th"] == "2022-02-24"
    assert not [d for _, d in report.differences if d.type == "date"]


def test_three_reports_numbers_dates_and_garbled_names() -> None:
    report = compare_articles([HERALD, GAZETTE, WIRE_MT], CompareOptions())
    numbers = [d for _, d in report.differences if d.type == "number"]
    assert any({d.details["a"]["value"], d.details["b"]["value"]} == {9.0, 11.0} for d in numbers)
    # "last Monday" in a 10 April 2030 article and "April 8" are the same day: not a difference
    assert not [d for _, d in report.differences if d.type == "date"]
    valenko = [e for e in report.entities if e.name == "Petra Valenko"]
    assert valenko and {m.text for m in valenko[0].mentions} >= {"Petra Barenko", "Valenco", "Walenko", "Valenko"}
    assert report.machine_translated["wire"].flag
    assert not report.machine_translated["herald"].flag
    unique = {u.text for u in report.unique}
    assert "Local bakers handed out free bread to rescue workers." in unique
    assert "The regional governor will visit the site on Friday." in unique


def test_report_json_follows_schema_version() -> None:
    report = compare_articles([HERALD, GAZETTE], CompareOptions(embedder="hashing"))
    data = json.loads(report.to_json())
    assert data["schema"] == "storydiff.report" and data["schema_version"] == "1.1"
    for key in ("articles", "alignments", "unique", "entities", "headlines", "sentences", "backends"):
        assert key in data
    assert data["backends"]["embedding"] == "hashing-ngrams.v1"


def test_compare_needs_two_reports() -> None:
    with pytest.raises(storydiff.UsageError):
        storydiff.compare([HERALD])


def test_the_king_is_wang_yi_by_alignment_evidence(reference: tuple[dict, dict]) -> None:
    """The MT copy calls Wang Yi 'the king'; an aligned sentence naming Mr Wang ties them."""
    report, _ = reference
    wang = next(e for e in report["entities"] if e["name"] == "Wang Yi")
    texts = {m["text"] for m in wang["mentions"]}
    assert {"Wang Yi", "Mr Wang", "the king", "the King"} <= texts
    assert not any("Xi" in t or "Liang" in t for t in texts)
