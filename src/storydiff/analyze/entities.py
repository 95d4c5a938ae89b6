"""Name mentions in sentences: people, places, organisations and groups, as the text spells them."""

from __future__ import annotations

import re
from typing import Any

from storydiff.model import Mention

LABELS = frozenset({"PERSON", "GPE", "LOC", "ORG", "NORP", "FAC"})
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "mx", "prof"})
_POSSESSIVE = re.compile(r"(?:['’]s?|\s)+$")
_CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december today yesterday tomorrow".split()
)
_CAPSEQ = re.compile(r"\b(?:(?:Mr|Mrs|Ms|Dr)\.?\s)?[A-Z][\w’'-]+(?:\s(?:[A-Z][\w’'-]+|de|van|von|bin|al))*")


def _clean(text: str) -> str:
    text = " ".join(text.split())
    text = _POSSESSIVE.sub("", text)
    if text.lower().startswith("the "):
        text = text[4:]
    return text.strip(" ,.;:")


def mentions_from_doc(doc: Any, article: str, sentence: int) -> list[Mention]:
    """Name mentions of a parsed sentence, keeping a preceding honorific ("Mr Kuleba")."""
    found = []
    for ent in doc.ents:
        if ent.label_ not in LABELS:
            continue
        start_tok = ent.start
        prev = doc[start_tok - 1] if start_tok > 0 else None
        if prev is not None and prev.text.lower().rstrip(".") in HONORIFICS:
            start_tok -= 1
        span = doc[start_tok : ent.end]
        text = _clean(span.text)
        if not text or not any(c.isalpha() for c in text):
            continue
        label = "PERSON" if start_tok < ent.start else ent.label_
        start = span.start_char + span.text.find(text[:3]) if text[:3] in span.text else span.start_char
        found.append(Mention(article, sentence, text, label, start, start + len(text)))
    return found


def mentions_by_regex(text: str, article: str, sentence: int) -> list[Mention]:
    """Fallback without a model: capitalised word runs that do not open the sentence."""
    found = []
    for m in _CAPSEQ.finditer(text):
        if m.start() == 0 and " " not in m.group(0):
            continue
        name = _clean(m.group(0))
        if name.lower() in _CALENDAR_WORDS:
            continue  # "Monday", "June": dates, not names
        if name and len(name) > 1:
            label = "PERSON" if name.split()[0].rstrip(".").lower() in HONORIFICS else "ORG"
            found.append(Mention(article, sentence, name, label, m.start(), m.start() + len(name)))
    return found


_ORG_WORDS = frozenset(
    "council ministry party union nations bank company group university agency court committee "
    "office department institute association federation league army force forces police news tech".split()
)  # words that make a short name an organisation, not a person NER mislabelled


def person_shaped(parts: list[str]) -> bool:
    """Two or three title-case words with no organisation word: possibly a person NER called an ORG."""
    return 2 <= len(parts) <= 3 and all(
        p[:1].isupper() and not p.isupper() and p.lower() not in _ORG_WORDS for p in parts
    )


# Nouns that name a person by office; "the king" may stand for a named person another report names.
ROLE_NOUNS = (
    "king queen prince princess president minister premier chancellor spokesman spokeswoman spokesperson "
    "ambassador envoy governor mayor chairman chairwoman secretary general commander emperor pope "
    "sheikh emir sultan counterpart diplomat"
).split()
_ROLE = re.compile(r"\bthe\s+(?:" + "|".join(ROLE_NOUNS) + r")\b(?!\s+of\b)", re.IGNORECASE)


def role_mentions(text: str, article: str, sentence: int, taken: list[Mention]) -> list[Mention]:
    """Definite role phrases ("the king") not inside a name: candidates for a person named elsewhere."""
    out = []
    for m in _ROLE.finditer(text):
        if any(x.start <= m.start() < x.end or m.start() <= x.start < m.end() for x in taken):
            continue
        out.append(Mention(article, sentence, m.group(0), "ROLE", m.start(), m.end()))
    return out


# Languages that capitalise every noun: a capitalised word there is no evidence of a name.
NOUN_CAPITALISING = frozenset({"de", "lb"})
NAME_CONNECTORS = frozenset("de da do dos das del della di du la le van von der den ter bin ibn al el".split())
_WORD_RUN = re.compile(r"[^\W\d_][\w’'-]*")
_SUFFIX = re.compile(r"[’'][^\W\d_]{1,5}$")  # a case suffix after an apostrophe (Turkish "Velmora’da")


def capitalised_names(text: str, article: str, sentence: int, language: str = "") -> list[Mention]:
    """Names in a language with no name model: runs of capitalised words that do not open the sentence.

    They are labelled NAME (kind unknown): a run becomes a person only when it joins one another report names.
    """
    if language in NOUN_CAPITALISING:
        return []
    found: list[Mention] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and run[-1].group(0).lower() in NAME_CONNECTORS:
            run.pop()
        if run:
            name = _clean(_SUFFIX.sub("", text[run[0].start() : run[-1].end()]))
            if len(name) > 1 and name.lower() not in _CALENDAR_WORDS:
                found.append(Mention(article, sentence, name, "NAME", run[0].start(), run[0].start() + len(name)))
        run.clear()

    for k, m in enumerate(_WORD_RUN.finditer(text)):
        word = m.group(0)
        joined = run and not text[run[-1].end() : m.start()].strip()
        if word[0].isupper() and k > 0:  # the sentence's first word is capitalised whatever it is
            if run and not joined:
                close()
            run.append(m)
        elif run and joined and word.lower() in NAME_CONNECTORS:
            run.append(m)
        else:
            close()
    close()
    return found
