"""Sentence alignment across the reports of one event: which sentences say the same thing in other words."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as _STOP

from storydiff.analyze.embed import USE_LANGUAGES, Embedder, NoModelEmbedder, get_multilingual_embedder
from storydiff.analyze.quantities import number_words
from storydiff.analyze.script import word_count
from storydiff.model import Sentence
from storydiff.resolve.aliases import romanise

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
# clause breaks: quotes, brackets, colons, a comma before a space, and the full-width marks of CJK text
# (，、；：（）「」『』), where a comma needs no space after it (",尹…")
_CLAUSE_SPLIT = re.compile(r"[“”\"();:，、；：（）「」『』]|,\s|,(?=[\u3040-\u30ff\u4e00-\u9fff])")


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Thresholds of the aligner; defaults were set on hand-judged pairs, not on any test's answers."""

    min_score: float = MIN_SCORE
    one_sided_score: float = ONE_SIDED_SCORE
    strong_score: float = STRONG_SCORE
    min_margin: float = MIN_MARGIN
    multilingual: bool = True  # False: every pair through the English embedder, as before issue 14


@dataclass(frozen=True, slots=True)
class Pair:
    """Two sentences of different articles aligned, with the evidence for it."""

    a: tuple[str, int]
    b: tuple[str, int]
    score: float
    margin: float


WINDOW_WORDS = 12  # a long sentence is also read in windows of this many words: one claim of several
WINDOW_MIN_WORDS = 20  # sentences shorter than this carry one or two claims: their clauses are enough


def windows(text: str) -> list[str]:
    """Overlapping word windows of a long sentence: where no parser splits its claims (most languages here),
    a claim shared with a short sentence elsewhere still has a piece of about its own length to match."""
    words = text.split()
    if len(words) < WINDOW_MIN_WORDS:
        return []
    step = WINDOW_WORDS // 2
    return [" ".join(words[k : k + WINDOW_WORDS]) for k in range(0, len(words) - step, step)]


def clauses(text: str) -> list[str]:
    """Pieces of a sentence between quotes, brackets and comma breaks, long enough to stand alone."""
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if word_count(p) >= MIN_CLAUSE_WORDS and p != text.strip()]


class _Units:
    """One article's sentences and their clauses, embedded once, with their content words."""

    def __init__(self, sentences: Sequence[Sentence], embedder: Embedder, english: bool = True,
                 pieces: bool = True, language: str = "") -> None:
        self.sentences = list(sentences)
        texts = [s.text for s in self.sentences]
        owners: list[int] = []
        clause_texts: list[str] = []
        for k, s in enumerate(self.sentences):
            for c in (clauses(s.text) + ([] if english else windows(s.text))) if pieces else ():
                owners.append(k)
                clause_texts.append(c)
        vecs = embedder.encode(texts + clause_texts)
        n, m = len(texts), len(clause_texts)
        self.sent = vecs[:n]
        self.clause = vecs[n : n + m]
        self.clause_owner = np.asarray(owners, dtype=int)
        self.words = [content_words(s) for s in self.sentences] if english else []
        self.anchors = [sentence_anchors(s, language) for s in self.sentences] if not english else []


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
    return _select(a, b, score, options)


def scaled_cosine(a: _Units, b: _Units, calibration: Calibration) -> np.ndarray:
    """Cosine of every sentence pair (best over clause pieces) on the shared multilingual scale."""
    cosine = _best_over_pieces(a, b)
    return ((cosine - calibration.floor) / (1.0 - calibration.floor)).astype(np.float32)


def _select(a: _Units, b: _Units, score: np.ndarray, options: AlignOptions) -> list[Pair]:
    """Keep best matches that pass the score and margin bars (mutual, one-sided if strong, or very strong)."""
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


# --- cross-language evidence: what two languages share -------------------------------------------------

ANCHOR_BONUS = 0.2  # added per shared anchor (a number, a date, a name) found in one sentence of each report:
#   a restated fact and a same-topic sentence differ by about this much on the USE scale, so one shared rare
#   fact decides a close call; a common anchor counts less (each is weighted 1/sqrt(sentences holding it))
ANCHOR_CAP = 2.0  # at most two anchors' worth of bonus: a list of shared names is not a restatement
CLASH_PENALTY = 0.12  # both sentences give numbers and none agree: likely different facts, yet still alignable
#   when the words say the same thing (a changed toll must stay visible as a difference, not vanish)
MIN_NAME_KEY = 4  # romanised name keys shorter than this (initials, "Al") tie unrelated names
NAME_KEY_CHARS = 5  # names compare on their first letters: case endings (Петрова, Petrovs) do not matter
YEAR_RANGE = (1900, 2100)  # a bare year is a number every sentence of a report may share: not an anchor
_NUMBER_TOKEN = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_LOWER_WORD = re.compile(r"[^\W\d_]+")
_CAP_WORD = re.compile(r"(?<![\w])[^\W\d_][\w'’-]*")


@dataclass(frozen=True, slots=True)
class Anchors:
    """What a sentence states that survives translation: numbers, resolved dates and romanised name keys."""

    numbers: frozenset[str]
    dates: frozenset[str]
    names: frozenset[str]

    def keys(self) -> frozenset[str]:
        """All anchors as one set of tagged keys."""
        return (frozenset(f"n:{x}" for x in self.numbers) | frozenset(f"d:{x}" for x in self.dates)
                | frozenset(f"p:{x}" for x in self.names))


def _number_key(value: float) -> str:
    return f"{value:.6g}"


def _parse_number(token: str) -> float | None:
    """A digit token in either convention: a separator before exactly three digits groups thousands
    (12,000 = 12.000 = 12 000), any other separator is a decimal point (7,6 = 7.6)."""
    t = token.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:[., ]\d{3})+", t):
        t = re.sub(r"[., ]", "", t)
    try:
        return float(t.replace(",", "."))
    except ValueError:
        return None


def _is_year(value: float) -> bool:
    return value.is_integer() and YEAR_RANGE[0] <= value <= YEAR_RANGE[1]


@lru_cache(maxsize=65_536)
def name_key(word: str) -> str:
    """A name's key across scripts and spellings: romanised, accents dropped, first letters (Петрова -> petro)."""
    text = unicodedata.normalize("NFKD", romanise(word))
    text = "".join(c for c in text if c.isascii() and c.isalpha()).lower()
    return text[:NAME_KEY_CHARS]


def sentence_anchors(sentence: Sentence, language: str = "") -> Anchors:
    """The numbers (in digits, or in the language's number words), resolved dates and name keys of a sentence,
    in forms every language writes alike."""
    values = {q.value for q in sentence.quantities}
    if language and language != ENGLISH:  # English number words are read with the sentence's quantities
        spelled = number_words(language)
        values.update(spelled[w] for w in _LOWER_WORD.findall(sentence.text.lower()) if w in spelled)
    for m in _NUMBER_TOKEN.finditer(sentence.text):
        v = _parse_number(m.group(0))
        if v is not None:
            values.add(v)
    numbers = frozenset(_number_key(v) for v in values if not _is_year(v) and v > 0)
    dates = frozenset(d.resolved for d in sentence.dates if d.resolved)
    words = {w for m in sentence.mentions for w in m.text.split()}
    for m in _CAP_WORD.finditer(sentence.text):  # capitalised words past the first: names in cased scripts
        w = m.group(0)
        if m.start() > 0 and w[:1].isupper():
            words.add(w)
    names = frozenset(k for k in (name_key(w) for w in words) if len(k) >= MIN_NAME_KEY)
    return Anchors(numbers, dates, names)


def _anchor_evidence(xa: Sequence[Anchors], xb: Sequence[Anchors]) -> np.ndarray:
    """Bonus for shared anchors (each weighted by how rare it is in the two reports), penalty for a number clash."""
    out = np.zeros((len(xa), len(xb)), dtype=np.float32)
    ka, kb = [x.keys() for x in xa], [x.keys() for x in xb]
    dfa, dfb = Counter(k for s in ka for k in s), Counter(k for s in kb for k in s)
    for i, x in enumerate(xa):
        for j, y in enumerate(xb):
            shared = ka[i] & kb[j]
            weight = sum(1.0 / np.sqrt(dfa[k] * dfb[k]) for k in sorted(shared))  # one order in every process
            out[i, j] = ANCHOR_BONUS * min(ANCHOR_CAP, weight)
            if x.numbers and y.numbers and not (x.numbers & y.numbers):
                out[i, j] -= CLASH_PENALTY
    return out


# --- which model serves which pair of reports ----------------------------------------------------------

ENGLISH = "en"
# Models that embed whole sentences only, not their clauses too: e5 reads ~60 sentences/s, and clause pieces
# (about as many again as sentences) more than doubled a compare (bench: 3.9x embedding the sentences once)
# for about one world-dev item in twenty of the pairs e5 serves.
WHOLE_SENTENCES_ONLY = frozenset({"e5-small"})


@dataclass(frozen=True, slots=True)
class Calibration:
    """One multilingual model's scale: cosines below `floor` are unrelated; bars apply to the rescaled score."""

    floor: float
    options: AlignOptions


# USE: unrelated news sentences sit near 0.0-0.2 and translations at 0.74-0.87, so it needs no rescaling;
# e5: unrelated 0.73-0.82, translations 0.89-0.95: subtracting a floor of 0.7 and dividing by 0.3 puts both
# models on one scale (unrelated ~0.1-0.4, translations ~0.6-0.85), so one anchor bonus means the same.
# The bars are lower than MiniLM's (0.69) because a restatement in another language shares no words to add:
# restated facts across languages score 0.35-0.7 on this scale, and at 0.45 about as many right as wrong
# partners are added as the bar moves (set on world-dev's agreed items in two languages and in one non-English
# language together; see bench/crosslingual_bench.py). The margin bar is the one bitext mining uses with the
# ratio margin over four neighbours (about 1.05): news excerpts are short and on one topic, so a claim inside
# a long sentence has close neighbours, and MiniLM's 1.1 (set on English pairs that share words) drops it.
# Where both models know the languages (ENSEMBLED), the pair's score is the mean of their rescaled cosines:
# two encoders trained apart err apart, and their mean ranked restatements above same-topic sentences more
# often than either alone (world-dev, cross-language and same-language items). The no-model fallback has cosine 0
# everywhere: only one and a half rare shared anchors or more, far ahead of the neighbours, carry a pair.
_MULTI = AlignOptions(min_score=0.45, one_sided_score=0.65, strong_score=0.95, min_margin=1.06)
CALIBRATIONS: dict[str, Calibration] = {
    "use-m3": Calibration(0.0, _MULTI),
    "e5-small": Calibration(0.7, _MULTI),
    "no-model": Calibration(0.0, AlignOptions(min_score=0.3, one_sided_score=0.4, strong_score=9.0, min_margin=1.5)),
}


ENSEMBLED = {"use-m3": "e5-small"}  # a second model averaged in where both know the languages (see _MULTI)


def model_for(lang_a: str, lang_b: str) -> str:
    """The model for a pair of reports: "english" for two English ones, USE when it knows both languages, else e5."""
    if lang_a == ENGLISH and lang_b == ENGLISH:
        return "english"
    if lang_a in USE_LANGUAGES and lang_b in USE_LANGUAGES:
        return "use-m3"
    return "e5-small"


def _language(sentences: Sequence[Sentence], given: str, others: Sequence[str]) -> str:
    """The article's stored language, else the language of its sentences; a text too short to tell takes the
    language most of the other reports are in (it is one more report of the same coverage)."""
    if given:
        return given
    from storydiff.analyze.language import detect_language

    hint = Counter(x for x in others if x).most_common(1)
    text = "\n".join(s.text for s in sentences)
    return detect_language(text, hint=hint[0][0] if hint else ENGLISH).code or ENGLISH


@dataclass(slots=True)
class AlignResult:
    """The aligned pairs and the models that served them (key -> backend name)."""

    pairs: list[Pair]
    models: dict[str, str] = field(default_factory=dict)


def align_articles(articles_sentences: Sequence[Sequence[Sentence]], embedder: Embedder,
                   options: AlignOptions | None = None, *, languages: Sequence[str] | None = None,
                   multilingual: Callable[[str], Embedder] = get_multilingual_embedder) -> AlignResult:
    """Align every pair of articles, each pair with the model that serves its two languages.

    Two English reports (or `options.multilingual` off) keep the English embedder and scoring; any other
    pair goes to USE or e5, loaded by `multilingual` only when such a pair exists."""
    options = options or AlignOptions()
    n = len(articles_sentences)
    given = list(languages) if languages else [""] * n
    langs = [_language(s, given[k], given) for k, s in enumerate(articles_sentences)] \
        if options.multilingual else [ENGLISH] * n
    units: dict[tuple[int, str], _Units] = {}
    models: dict[str, str] = {}
    loaded: dict[str, Embedder] = {}

    def units_of(k: int, key: str) -> _Units:
        if (k, key) not in units:
            if key == "english":
                units[(k, key)] = _Units(articles_sentences[k], embedder)
            else:
                if key not in loaded:
                    loaded[key] = multilingual(key)
                units[(k, key)] = _Units(articles_sentences[k], loaded[key], english=False, language=langs[k],
                                         pieces=key not in WHOLE_SENTENCES_ONLY)
        return units[(k, key)]

    pairs: list[Pair] = []
    for x in range(n):
        for y in range(x + 1, n):
            key = model_for(langs[x], langs[y])
            a, b = units_of(x, key), units_of(y, key)
            if key == "english":
                models["english"] = embedder.name
                pairs.extend(align_two(a, b, options))
                continue
            models[key] = loaded[key].name
            if loaded[key].name == NoModelEmbedder.name:  # no model: shared anchors alone carry a pair
                calibration, cosines = CALIBRATIONS["no-model"], [scaled_cosine(a, b, CALIBRATIONS["no-model"])]
            else:
                calibration, cosines = CALIBRATIONS[key], [scaled_cosine(a, b, CALIBRATIONS[key])]
                partner = ENSEMBLED.get(key)
                if partner is not None:
                    pa, pb = units_of(x, partner), units_of(y, partner)
                    if loaded[partner].name != NoModelEmbedder.name:
                        models[partner] = loaded[partner].name
                        cosines.append(scaled_cosine(pa, pb, CALIBRATIONS[partner]))
            if a.sentences and b.sentences:
                score = np.mean(cosines, axis=0) + _anchor_evidence(a.anchors, b.anchors)
                pairs.extend(_select(a, b, score, calibration.options))
    return AlignResult(pairs, models)


def align(articles_sentences: Sequence[Sequence[Sentence]], embedder: Embedder,
          options: AlignOptions | None = None, *, languages: Sequence[str] | None = None) -> list[Pair]:
    """Align every pair of articles; returns the sentence pairs that report the same thing."""
    return align_articles(articles_sentences, embedder, options, languages=languages).pairs


MAX_PER_ARTICLE = 2  # sentences one article may bring to one alignment (one report may split a claim in two)


def group_pairs(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """Group pairs into alignments of one claim each, strongest first: a sentence joins an alignment only when
    it is linked to at least half of its members from other reports, never through a chain of links; a pair
    that fits no alignment is one of its own, so a sentence may take part in several."""
    linked: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for p in pairs:
        linked.setdefault(p.a, set()).add(p.b)
        linked.setdefault(p.b, set()).add(p.a)
    groups: list[tuple[set[tuple[str, int]], list[Pair]]] = []
    holding: dict[tuple[str, int], list[int]] = {}  # sentence -> the groups it is in

    def fits(ref: tuple[str, int], members: set[tuple[str, int]]) -> int:
        """How many members `ref` is linked to, or -1 when it may not join (too few links, or its report full)."""
        if sum(1 for m in members if m[0] == ref[0]) >= MAX_PER_ARTICLE:
            return -1
        others = [m for m in members if m[0] != ref[0]]
        n = sum(1 for m in others if m in linked.get(ref, ()))
        return n if 2 * n >= len(others) else -1

    for p in sorted(pairs, key=lambda p: -p.score):
        both = set(holding.get(p.a, ())) & set(holding.get(p.b, ()))
        if both:
            groups[min(both)][1].append(p)
            continue
        options = [(fits(new, groups[g][0]), g, new) for old, new in ((p.a, p.b), (p.b, p.a))
                   for g in holding.get(old, ())]
        options = [o for o in options if o[0] >= 0]
        if options:
            _, g, new = max(options, key=lambda o: (o[0], -o[1]))
        else:
            g, new = len(groups), p.b
            groups.append(({p.a}, []))
            holding.setdefault(p.a, []).append(g)
        groups[g][0].add(new)
        groups[g][1].append(p)
        holding.setdefault(new, []).append(g)
    kept = [(m, links) for k, (m, links) in enumerate(groups)
            if not any(m < other or (m == other and j < k) for j, (other, _) in enumerate(groups) if j != k)]
    for m, links in kept:  # the links of an alignment another one holds whole now belong to the larger one
        for other, other_links in groups:
            if other < m or (other == m and other_links is not links):
                links.extend(x for x in other_links if x not in links)
    return [sorted(links, key=lambda p: (p.a, p.b)) for _, links in kept]
