"""Name differences: one person, place or organisation spelled two ways in aligned sentences."""

from __future__ import annotations

from collections.abc import Mapping

from storydiff.model import Difference, Entity, Sentence
from storydiff.resolve.aliases import is_latin, name_tokens, translit_key

NAMED_LABELS = frozenset({"PERSON", "GPE", "LOC", "ORG", "FAC", "NAME"})  # NORP adjectives and roles are not names


def name_differences(a: Sentence, b: Sentence, entity_of: Mapping[tuple[str, str], Entity]) -> list[Difference]:
    """Names of one entity that two aligned sentences spell differently (Anna Kowalczyk / Ana Kovalchik).

    A short form ("Kowalczyk" of "Anna Kowalczyk"), another script (Ковальчик) and another transliteration convention
    (Wladimir / Vladimir) are no difference: only forms of the same length in the same script whose letters
    differ once transliteration conventions are set aside."""
    out: list[Difference] = []
    seen: set[tuple[str, str]] = set()
    for x in a.mentions:
        ex = entity_of.get((a.article, x.text))
        if ex is None or x.label not in NAMED_LABELS:
            continue
        for y in b.mentions:
            if y.label not in NAMED_LABELS or entity_of.get((b.article, y.text)) is not ex:
                continue
            pair = (x.text, y.text)
            if pair in seen or not _spelled_apart(x.text, y.text):
                continue
            seen.add(pair)
            out.append(Difference("name", f"one name spelled two ways: {x.text!r} ({a.article}) vs {y.text!r} "
                                          f"({b.article})", {
                "a": {"article": a.article, "text": x.text},
                "b": {"article": b.article, "text": y.text},
                "entity": ex.name,
            }))
    return out


def _spelled_apart(x: str, y: str) -> bool:
    """True when two forms of one name have as many parts, the same script, and a part spelled differently."""
    tx, ty = name_tokens(x), name_tokens(y)
    if not tx or len(tx) != len(ty) or is_latin(x) != is_latin(y):
        return False
    return any(translit_key(p) != translit_key(q) for p, q in zip(tx, ty, strict=True))
