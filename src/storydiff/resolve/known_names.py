"""Names the other reports already know, found in reports no name model reads (a romanised-key search)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from storydiff.model import Mention, Sentence
from storydiff.resolve.aliases import (
    CONFUSIONS,
    MAX_SYLLABLE_NAME,
    UNTYPED,
    garble_evidence,
    hangul_key,
    is_hangul,
    name_tokens,
    romanise,
    translit_key,
)

MIN_TOKEN_CHARS = 4  # shorter name parts ("Li", "Kim", "Ali") match too many words of another language
SEARCHED_LABELS = frozenset({"PERSON", "GPE", "LOC", "ORG", "FAC"})  # kinds of names looked for elsewhere
WORDY_LABELS = frozenset({"ORG", "FAC"})  # their longer names are made of common words ("Ministry of Defence")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")
_SUFFIX = re.compile(r"[’'][^\W\d_]{1,5}$")  # a case suffix after an apostrophe (Turkish "Velmora’da")


class _Known:
    """Name parts from the reports a name model read, indexed by the first letter of their key."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.by_head: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # head -> (key, token, label)
        self.syllabic: dict[tuple[str, ...], str] = {}  # Korean-style names, one key a syllable -> label
        seen: set[str] = set()
        ranked = sorted((m for s in sentences for m in s.mentions if m.label in SEARCHED_LABELS),
                        key=lambda m: m.label != "PERSON")  # a part both a person and a place names is a person
        for m in ranked:
            parts = name_tokens(m.text)
            if m.label in WORDY_LABELS and len(parts) > 1:
                continue
            if m.label == "PERSON" and 2 <= len(parts) <= MAX_SYLLABLE_NAME:
                self.syllabic.setdefault(tuple(hangul_key(p) for p in parts), m.label)
            for tok in parts:
                key = translit_key(tok)
                if len(key) >= MIN_TOKEN_CHARS and key not in seen:
                    seen.add(key)
                    self.by_head[_head(key)].append((key, tok, m.label))

    def match_syllables(self, word: str) -> tuple[int, str] | None:
        """(characters, label) of a known name written syllable by syllable in Hangul at the start of `word`."""
        syllables = [hangul_key(romanise(ch)) for ch in word[:MAX_SYLLABLE_NAME] if is_hangul(ch)]
        for n in range(min(len(syllables), MAX_SYLLABLE_NAME), 1, -1):
            label = self.syllabic.get(tuple(syllables[:n]))
            if label is not None and all(is_hangul(ch) for ch in word[:n]):
                return n, label
        return None

    def match(self, word: str) -> str | None:
        """The label of the known name this word spells (in any script or transliteration), or None."""
        if word[0].lower() != word[0].upper() and not word[0].isupper():
            return None  # a script with case writes names capitalised: a lowercase word is no name
        key = translit_key(word)
        if len(key) < MIN_TOKEN_CHARS:
            return None
        for known_key, tok, label in self.by_head.get(_head(key), ()):
            if key == known_key or garble_evidence(word, tok, strict=True) is not None:
                return label
        return None


def _head(key: str) -> str:
    """The bucket of a key: its first letter after transliteration confusions, one bucket for vowels."""
    first = key[0].translate(CONFUSIONS)
    return "aeiou" if first in "aeiou" else first


def add_known_names(per_article: Sequence[Sequence[Sentence]], searched: Sequence[bool]) -> list[tuple[Sentence, ...]]:
    """Tag, in each report with `searched` set, the words that spell a name the other reports' models found."""
    known = _Known([s for sents, look in zip(per_article, searched, strict=True) if not look for s in sents])
    if not known.by_head:
        return [tuple(s) for s in per_article]
    out = []
    for sents, look in zip(per_article, searched, strict=True):
        out.append(tuple(_tag(s, known) for s in sents) if look else tuple(sents))
    return out


def _tag(sentence: Sentence, known: _Known) -> Sentence:
    """The sentence with known names tagged: adjacent matched words form one mention, replacing untyped runs."""
    spans: list[tuple[int, int, str]] = []
    for m in _WORD.finditer(sentence.text):
        word = _SUFFIX.sub("", m.group(0))
        if known.syllabic and is_hangul(word[0]):
            found = known.match_syllables(word)
            if found is not None:
                spans.append((m.start(), m.start() + found[0], found[1]))
                continue
        label = known.match(word)
        if label is None:
            continue
        end = m.start() + len(word)
        if spans and not sentence.text[spans[-1][1] : m.start()].strip() and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], end, label)
        else:
            spans.append((m.start(), end, label))
    if not spans:
        return sentence
    kept = [x for x in sentence.mentions
            if not (x.label == UNTYPED and any(a < x.end and x.start < b for a, b, _ in spans))]
    added = [Mention(sentence.article, sentence.index, sentence.text[a:b], label, a, b) for a, b, label in spans
             if not any(x.start <= a and b <= x.end for x in kept)]
    return replace(sentence, mentions=tuple(sorted((*kept, *added), key=lambda x: x.start)))
