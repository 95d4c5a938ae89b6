"""Property tests: no input text makes analysis, resolution or comparison crash or hang."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storydiff.analyze import AnalyzeOptions, analyze_article
from storydiff.analyze.dates import find_dates, parse_published
from storydiff.analyze.quantities import find_quantities
from storydiff.analyze.sentences import split_sentences
from storydiff.comparison.pipeline import CompareOptions, compare_articles
from storydiff.model import Article, Mention
from storydiff.resolve.aliases import garble_evidence, resolve_entities, skeleton

NEWSY = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIKLMNOPRSTUVWZ0123456789 .,;:'\"“”’()-$%\n\u00e9\u0161\u4e2d")),
    max_size=400,
)
ANY_TEXT = st.text(max_size=300)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_INPUT_SECONDS = 5.0  # the hang bar


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    out = fn(*args)
    assert time.monotonic() - start < PER_INPUT_SECONDS
    return out


@FAST
@given(st.one_of(NEWSY, ANY_TEXT))
def test_sentences_quantities_dates_never_crash(text: str) -> None:
    for sent in _timed(split_sentences, text):
        assert sent.strip()
    _timed(find_quantities, text)
    _timed(find_dates, text, parse_published("2022-03-01"))


@FAST
@given(st.lists(st.tuples(st.sampled_from("ab"), NEWSY.filter(lambda s: s.strip()),
                          st.sampled_from(["PERSON", "ORG", "GPE", "ROLE"])), max_size=30))
def test_resolution_never_crashes(items: list[tuple[str, str, str]]) -> None:
    mentions = [Mention(a, 0, t, label, 0, len(t)) for a, t, label in items]
    entities = _timed(resolve_entities, mentions)
    seen = [m.text for e in entities for m in e.mentions]
    assert len(seen) == len(set((m.article, m.text) for e in entities for m in e.mentions))


@FAST
@given(ANY_TEXT, ANY_TEXT)
def test_name_similarity_total(a: str, b: str) -> None:
    skeleton(a)
    garble_evidence(a, b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NEWSY, NEWSY, ANY_TEXT)
def test_compare_never_crashes(a: str, b: str, title: str) -> None:
    options = CompareOptions(embedder="hashing", analyze=AnalyzeOptions(use_model=False))
    report = _timed(compare_articles, [Article(id="a", body=a, title=title), Article(id="b", body=b)], options)
    report.to_json()


def test_analysis_caps_a_one_megabyte_line() -> None:
    body = ("word " * 200_000).strip()
    sents = _timed(lambda: analyze_article(Article(id="x", body=body), options=AnalyzeOptions(use_model=False)))
    assert all(len(s.text) <= 1_500 for s in sents)


def test_regex_names_skip_days_and_months() -> None:
    from storydiff.analyze.entities import mentions_by_regex

    found = {m.text for m in mentions_by_regex("On Monday in June the mayor Anna Holt spoke.", "a", 0)}
    assert "Monday" not in found and "June" not in found and "Anna Holt" in found
