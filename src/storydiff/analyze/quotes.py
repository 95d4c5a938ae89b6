"""Quoted words in sentences and who the sentence says spoke them."""

from __future__ import annotations

import re
from typing import Any

from storydiff.model import Quote

MIN_QUOTE_WORDS = 2  # a single quoted word is a scare quote or a name, not speech
_QUOTE_RE = re.compile(r"“([^”]{2,})”|\"([^\"]{2,})\"|“([^”“\"]{8,})$")
SPEECH_VERBS = frozenset(
    "say says said saying tell tells told telling add adds added state states stated urge urges urged "
    "insist insists insisted warn warns warned claim claims claimed note notes noted announce announced "
    "announces reaffirm reaffirmed reaffirms describe described describes call called calls ask asked asks "
    "write wrote writes speak spoke speaks declare declared declares".split()
)
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})
_RELATIVES = frozenset({"that", "which", "who", "whom", "whose"})


def find_quotes(sentence: str) -> list[str]:
    """Return the quoted passages of a sentence (curly or straight double quotes)."""
    quotes = []
    for m in _QUOTE_RE.finditer(sentence):
        text = next(g for g in m.groups() if g is not None).strip(" ,.")
        if len(text.split()) >= MIN_QUOTE_WORDS:
            quotes.append(text)
    return quotes


def _outside_quotes(doc: Any) -> list[Any]:
    """Tokens of a spaCy doc that are not inside quotation marks."""
    inside, out = False, []
    for tok in doc:
        if tok.text in ("“", "”", '"'):
            inside = (not inside) if tok.text == '"' else tok.text == "“"
            continue
        if not inside:
            out.append(tok)
    return out


def _phrase(token: Any) -> str:
    """The noun phrase a subject token heads, trimmed of clauses and punctuation."""
    toks = [t for t in token.subtree if t.dep_ not in ("punct",)]
    text = " ".join(t.text for t in toks)
    text = re.sub(r"\s+([,.’'])", r"\1", text)
    return re.sub(r"\s+", " ", text.replace(" ’s", "’s").replace(" 's", "'s")).strip(" ,")


def find_speaker(doc: Any) -> str:
    """Who a sentence says is speaking: the subject of a speech verb outside the quotes, if any."""
    for tok in _outside_quotes(doc):
        low = tok.text.lower()
        if low == "according" and tok.i + 2 <= len(doc):
            for child in doc[tok.i].subtree:
                if child.dep_ == "pobj":
                    return _phrase(child)
        if low not in SPEECH_VERBS:
            continue
        for child in tok.children:
            if child.dep_ in ("nsubj", "nsubjpass") and child.text.lower() in _RELATIVES:
                break  # a relative clause ("a readout that cites X"): the main verb names the speaker
            if child.dep_ in ("nsubj", "nsubjpass") and child.text.lower() not in _PRONOUNS:
                return _phrase(child)
            if child.dep_ in ("nsubj", "nsubjpass"):
                return child.text
    return ""


def quotes_with_speaker(sentence: str, doc: Any | None) -> tuple[Quote, ...]:
    """Quotes of a sentence, each with the speaker the parse finds (empty when none)."""
    texts = find_quotes(sentence)
    if not texts:
        return ()
    speaker = find_speaker(doc) if doc is not None else _regex_speaker(sentence)
    return tuple(Quote(text=t, speaker=speaker) for t in texts)


_SAID_AFTER = re.compile(r"[”\"],?\s+(?P<who>(?:[A-Z][\w.’'-]*\s?){1,4})\s+(?:said|says|added|told)\b")
_SAID_BEFORE = re.compile(r"(?P<who>(?:[A-Z][\w.’'-]*\s?){1,4})\s+(?:said|says|added|told)\b")


def _regex_speaker(sentence: str) -> str:
    """Fallback speaker finder for when no parser is installed."""
    m = _SAID_AFTER.search(sentence) or _SAID_BEFORE.search(sentence)
    return m.group("who").strip() if m else ""
