"""Sentence splitting of article bodies (pysbd), with caps on sentence length and count."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_SENTENCE_CHARS = 1_500  # longer runs are cut at whitespace: no real sentence is this long
MAX_SENTENCES = 3_000  # per article; past this the rest of the body is not analysed
MAX_BODY_CHARS = 200_000  # analysed per article (a long feature is ~50,000); the rest is left out
MAX_SEGMENT_CHARS = 10_000  # the segmenter is slow on huge runs: longer paragraphs are cut into pieces first

# A sentence glued to the next one by a scraper: "…the difference.Ukraine has…"
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, unglueing scraped joins and cutting runaway lengths."""
    paragraph = _GLUED.sub(" ", paragraph.strip())
    if not paragraph:
        return []
    out: list[str] = []
    for sent in (s for piece in _pieces(paragraph) for s in _segmenter().segment(piece)):
        sent = " ".join(sent.split())
        while len(sent) > MAX_SENTENCE_CHARS:
            cut = sent.rfind(" ", 0, MAX_SENTENCE_CHARS)
            cut = cut if cut > 0 else MAX_SENTENCE_CHARS
            out.append(sent[:cut])
            sent = sent[cut:].strip()
        if sent:
            out.append(sent)
    return _merge_fragments(out)


def _pieces(text: str) -> list[str]:
    """Cut a runaway paragraph at whitespace into pieces the segmenter handles quickly."""
    pieces = []
    while len(text) > MAX_SEGMENT_CHARS:
        cut = text.rfind(" ", 0, MAX_SEGMENT_CHARS)
        cut = cut if cut > 0 else MAX_SEGMENT_CHARS
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def _merge_fragments(sents: list[str]) -> list[str]:
    """Re-attach fragments a splitter cut off (a closing quote or bracket alone, a lowercase start)."""
    merged: list[str] = []
    for sent in sents:
        stripped = sent.strip("”\"’')]. ")
        fits = merged and len(merged[-1]) + len(sent) < MAX_SENTENCE_CHARS
        if fits and (len(stripped) < 3 or sent[0].islower()):
            merged[-1] = f"{merged[-1]} {sent}"
        else:
            merged.append(sent)
    return merged


def split_body(paragraphs: list[str]) -> list[tuple[int, str]]:
    """Split paragraphs into (paragraph index, sentence) pairs, capped at MAX_SENTENCES."""
    pairs: list[tuple[int, str]] = []
    budget = MAX_BODY_CHARS
    for p_index, para in enumerate(paragraphs):
        if budget <= 0:
            break
        para = para[:budget]
        budget -= len(para)
        for sent in split_sentences(para):
            pairs.append((p_index, sent))
            if len(pairs) >= MAX_SENTENCES:
                return pairs
    return pairs
