"""Sentence alignment across the reports of one event: which sentences say the same thing in other words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as _STOP

from storydiff.analyze.embed import Embedder
from storydiff.model import Sentence

# Scores are cosines of sentence embeddings (MiniLM scale) and margin ratios (Artetxe & Schwenk 2019).
# The score of a pair is cosine + LEXICAL_WEIGHT * Dice overlap of non-name content words.
LEXICAL_WEIGHT = 0.6  # shared wording beyond names: tells a restated claim from a same-topic sentence
MIN_SCORE = 0.69  # below this two sentences are related at best, not the same claim
ONE_SIDED_SCORE = 0.72  # a best match on one side only (one report merged two sentences) needs this
STRONG_SCORE = 0.95  # at or above this a pair is kept whatever else matches better
MIN_MARGIN = 1.1  # score / mean score of both sides' nearest neighbours: filters hub sentences
MARGIN_K = 4  # neighbours averaged for the margin
MIN_CLAUSE_WORDS = 5  # shorter pieces of a sentence are too vague to align on their own
STEM_CHARS = 5  # words are compared by their first letters: a cheap stem ("refused" ~ "refuses")
_WORD = re.compile(r"[A-Za-z]+")
_CLAUSE_SPLIT = re.compile(r"[“”\"();:]|,\s")


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Thresholds of the aligner; defaults were set on hand-judged pairs, not on any test's answers."""

    min_score: float = MIN_SCORE
    one_sided_score: float = ONE_SIDED_SCORE
    strong_score: float = STRONG_SCORE
    min_margin: float = MIN_MARGIN


@dataclass(frozen=True, slots=True)
class Pair:
    """Two sentences of different articles aligned, with the evidence for it."""

    a: tuple[str, int]
    b: tuple[str, int]
    score: float
    margin: float


def clauses(text: str) -> list[str]:
    """Pieces of a sentence between quotes, brackets and comma breaks, long enough to stand alone."""
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if len(p.split()) >= MIN_CLAUSE_WORDS and p != text.strip()]


class _Units:
    """One article's sentences and their clauses, embedded once, with their content words."""

    def __init__(self, sentences: Sequence[Sentence], embedder: Embedder) -> None:
        self.sentences = list(sentences)
        texts = [s.text for s in self.sentences]
        owners: list[int] = []
        clause_texts: list[str] = []
        for k, s in enumerate(self.sentences):
            for c in clauses(s.text):
                owners.append(k)
                clause_texts.append(c)
        vecs = embedder.encode(texts + clause_texts)
        n, m = len(texts), len(clause_texts)
        self.sent = vecs[:n]
        self.clause = vecs[n : n + m]
        self.clause_owner = np.asarray(owners, dtype=int)
        self.words = [content_words(s) for s in self.sentences]


def _best_over_pieces(a: _Units, b: _Units) -> np.ndarray:
    """Cosine of each sentence pair, raised to the best match of a whole sentence with a clause of the other."""
    score = a.sent @ b.sent.T
    if len(b.clause):
        sc = a.sent @ b.clause.T
        for j in np.unique(b.clause_owner):
            score[:, j] = np.maximum(score[:, j], sc[:, b.clause_owner == j].max(axis=1))
    if len(a.clause):
        cs = a.clause @ b.sent.T
        for i in np.unique(a.clause_owner):
            score[i, :] = np.maximum(score[i, :], cs[a.clause_owner == i].max(axis=0))
    return score


def _margin(score: np.ndarray) -> np.ndarray:
    k_a = min(MARGIN_K, score.shape[1])
    k_b = min(MARGIN_K, score.shape[0])
    ra = np.sort(score, axis=1)[:, -k_a:].mean(axis=1)
    rb = np.sort(score, axis=0)[-k_b:, :].mean(axis=0)
    denom = (ra[:, None] + rb[None, :]) / 2
    denom[denom <= 0] = 1e-6
    return score / denom


def align_two(a: _Units, b: _Units, options: AlignOptions) -> list[Pair]:
    """Align the sentences of two articles: best matches above the score and margin bars."""
    if not a.sentences or not b.sentences:
        return []
    score = _best_over_pieces(a, b) + LEXICAL_WEIGHT * _lexical(a.words, b.words)
    margin = _margin(score)
    best_b = score.argmax(axis=1)
    best_a = score.argmax(axis=0)
    pairs = []
    for i, j in zip(*np.nonzero(score >= options.min_score), strict=True):
        s, mg = float(score[i, j]), float(margin[i, j])
        if mg < options.min_margin:
            continue
        mutual = best_b[i] == j and best_a[j] == i
        one_sided = best_b[i] == j or best_a[j] == i
        if mutual or (one_sided and s >= options.one_sided_score) or s >= options.strong_score:
            pairs.append(Pair(a.sentences[i].ref, b.sentences[j].ref, round(s, 4), round(mg, 3)))
    return sorted(pairs, key=lambda p: (p.a[1], p.b[1]))


def content_words(sentence: Sentence) -> frozenset[str]:
    """Stems of a sentence's content words, leaving out names (which reports may spell differently)."""
    names = {w.lower() for m in sentence.mentions for w in m.text.split()}
    words = (w.lower() for w in _WORD.findall(sentence.text))
    return frozenset(w[:STEM_CHARS] for w in words if w not in _STOP and w not in names and len(w) > 2)


def _lexical(wa: list[frozenset[str]], wb: list[frozenset[str]]) -> np.ndarray:
    """Dice overlap of content words between every pair of sentences."""
    out = np.zeros((len(wa), len(wb)), dtype=np.float32)
    for i, x in enumerate(wa):
        for j, y in enumerate(wb):
            if x and y:
                out[i, j] = 2 * len(x & y) / (len(x) + len(y))
    return out


def align(articles_sentences: Sequence[Sequence[Sentence]], embedder: Embedder,
          options: AlignOptions | None = None) -> list[Pair]:
    """Align every pair of articles; returns the sentence pairs that report the same thing."""
    options = options or AlignOptions()
    units = [_Units(s, embedder) for s in articles_sentences]
    pairs: list[Pair] = []
    for x in range(len(units)):
        for y in range(x + 1, len(units)):
            pairs.extend(align_two(units[x], units[y], options))
    return pairs


MAX_PER_ARTICLE = 2  # sentences one article may bring to one alignment (one report may split a claim in two)


def group_pairs(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """Group pairs into alignments, strongest first, without chaining many sentences of one article."""
    group_of: dict[tuple[str, int], int] = {}
    members: dict[int, set[tuple[str, int]]] = {}
    links: dict[int, list[Pair]] = {}
    next_id = 0  # never reused: merged groups leave gaps, so the count of live groups is no fresh id
    for p in sorted(pairs, key=lambda p: -p.score):
        ga, gb = group_of.get(p.a), group_of.get(p.b)
        if ga is None and gb is None:
            gid, next_id = next_id, next_id + 1
            members[gid], links[gid] = {p.a, p.b}, [p]
            group_of[p.a] = group_of[p.b] = gid
            continue
        if ga is not None and gb is not None and ga == gb:
            links[ga].append(p)
            continue
        merged = (members.get(ga, set()) if ga is not None else {p.a}) | (
            members.get(gb, set()) if gb is not None else {p.b})
        per_article: dict[str, int] = {}
        for art, _ in merged:
            per_article[art] = per_article.get(art, 0) + 1
        if max(per_article.values()) > MAX_PER_ARTICLE:
            continue  # the link would chain distinct claims together: keep the stronger groups apart
        keep = ga if ga is not None else gb
        assert keep is not None
        for other in (ga, gb):
            if other is not None and other != keep:
                links[keep].extend(links.pop(other))
                members.pop(other)
        members[keep] = merged
        links[keep].append(p)
        for ref in merged:
            group_of[ref] = keep
    return [sorted(v, key=lambda p: (p.a, p.b)) for v in links.values()]
