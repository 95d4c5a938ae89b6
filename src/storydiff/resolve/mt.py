"""Signs that a report went through machine translation: one person spelled several ways, garbled text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storydiff.analyze import AnalyzeOptions, analyze_article
from storydiff.model import Article, Entity, Sentence, Signal
from storydiff.resolve.aliases import resolve_entities, spellings_in_article

FLAG_SCORE = 1.0  # evidence points at which an article is flagged as machine-translated
SPELLING_POINTS = 1.0  # one person under several spellings in one article is strong evidence
GARBLE_POINTS = 0.25  # per odd sentence (lowercase start, a capitalised word after a full stop mid-clause)
_ODD = re.compile(r"^[a-z]|\.\s[a-z]+\s[A-Z][a-z]+\s(?:the|of)\b")


def machine_translation_signal(article: str, entities: Sequence[Entity], sentences: Sequence[Sentence]) -> Signal:
    """Score how likely an article is a machine-translated copy, with the evidence a reader can check."""
    evidence: list[str] = []
    score = 0.0
    for ent in entities:
        if ent.label != "PERSON":
            continue
        variants = spellings_in_article(ent, article)
        if len(variants) >= 2:
            texts = sorted({m.text for m in ent.mentions if m.article == article})
            evidence.append(f"{ent.name} appears as {', '.join(repr(t) for t in texts)} in one article")
            score += SPELLING_POINTS
    odd = [s.text for s in sentences if s.article == article and _ODD.search(s.text)]
    if odd:
        score += GARBLE_POINTS * len(odd)
        evidence.append(f"{len(odd)} garbled sentence(s), e.g. {odd[0][:80]!r}")
    return Signal(flag=score >= FLAG_SCORE, score=round(score, 2), evidence=tuple(evidence))


def article_signal(article: Article, options: AnalyzeOptions | None = None) -> Signal:
    """The signal of one article on its own (the store checks each report once, before any comparison)."""
    sentences = analyze_article(article, options=options)
    entities = resolve_entities([m for s in sentences for m in s.mentions])
    return machine_translation_signal(article.id, entities, sentences)
