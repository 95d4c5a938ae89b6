"""Differences inside agreement: quote wording, speakers, numbers and dates of aligned sentences."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

from storydiff.analyze.quantities import is_duration
from storydiff.model import Difference, Quote, Sentence

MIN_QUOTE_MATCH = 45  # rapidfuzz partial token ratio (0-100) for two quotes to be the same utterance
NUMBER_TOLERANCE = 0.005  # relative difference below which two numbers are the same (rounding)
_WORDS = re.compile(r"[\w’'-]+|[^\w\s]")


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def word_diff(a: str, b: str) -> list[dict[str, str]]:
    """Word-level diff of two texts as a list of {op, a, b} runs (op: equal, replace, delete, insert)."""
    wa, wb = _WORDS.findall(a), _WORDS.findall(b)
    ops = []
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in wa], b=[w.lower() for w in wb], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append({"op": tag, "a": " ".join(wa[i1:i2]), "b": " ".join(wb[j1:j2])})
    return ops


def _overlap_window(short: str, long: str) -> str:
    """The words of the longer quote that the shorter one restates, so the diff compares like with like."""
    if len(long) <= len(short) * 1.5:
        return long
    al = fuzz.partial_ratio_alignment(short.lower(), long.lower())
    if al is None:
        return long
    start = long.rfind(" ", 0, al.dest_start) + 1
    end = long.find(" ", al.dest_end)
    return long[start : end if end != -1 else len(long)].strip(" ,.")


def _match_quotes(qa: Sequence[Quote], qb: Sequence[Quote]) -> list[tuple[Quote, Quote, float]]:
    """Pair each quote of one sentence with the most similar quote of the other."""
    out = []
    for b in qb:
        scored = [(fuzz.token_set_ratio(_norm(a.text), _norm(b.text)), a) for a in qa]
        scored += [(fuzz.partial_ratio(_norm(a.text), _norm(b.text)) * 0.9, a) for a in qa]
        if not scored:
            continue
        best, a = max(scored, key=lambda x: x[0])
        if best >= MIN_QUOTE_MATCH:
            out.append((a, b, best))
    return out


def sentence_differences(
    a: Sentence, b: Sentence, same_entity: Callable[[str, str, str, str], bool] | None = None
) -> list[Difference]:
    """How two aligned sentences of different articles differ: quotes, speakers, numbers, dates."""
    diffs: list[Difference] = []
    for qa, qb, _ in _match_quotes(a.quotes, b.quotes):
        if _norm(qa.text).strip(".,") != _norm(qb.text).strip(".,"):
            ta, tb = qa.text, qb.text
            ta, tb = (_overlap_window(tb, ta), tb) if len(ta) > len(tb) else (ta, _overlap_window(ta, tb))
            ops = word_diff(ta, tb)
            changed = [o for o in ops if o["op"] != "equal" and (o["a"] + o["b"]).strip(".,;:!?\"'“”‘’ ")]
            if not changed:
                continue  # punctuation only
            summary = "quoted words differ: " + "; ".join(
                f"'{o['a']}' → '{o['b']}'" if o["op"] == "replace" else
                (f"'{o['a']}' dropped" if o["op"] == "delete" else f"'{o['b']}' added")
                for o in changed[:4]
            )
            diffs.append(Difference("quote", summary, {
                "a": {"article": a.article, "text": qa.text, "speaker": qa.speaker},
                "b": {"article": b.article, "text": qb.text, "speaker": qb.speaker},
                "diff": ops,
            }))
        if qa.speaker and qb.speaker and same_entity is not None:
            if not same_entity(a.article, qa.speaker, b.article, qb.speaker):
                diffs.append(Difference("attribution", f"quote attributed to {qa.speaker!r} vs {qb.speaker!r}", {
                    "a": {"article": a.article, "speaker": qa.speaker},
                    "b": {"article": b.article, "speaker": qb.speaker},
                }))
    diffs.extend(_number_differences(a, b))
    diffs.extend(_date_differences(a, b))
    return diffs


def _number_differences(a: Sentence, b: Sentence) -> list[Difference]:
    out = []
    qa = [q for q in a.quantities if q.unit and not is_duration(q)]
    qb = [q for q in b.quantities if q.unit and not is_duration(q)]
    for x in qa:
        same_unit = [y for y in qb if y.unit[:5] == x.unit[:5]]
        if not same_unit:
            continue
        if any(abs(x.value - y.value) <= NUMBER_TOLERANCE * max(abs(x.value), abs(y.value), 1) for y in same_unit):
            continue
        y = same_unit[0]
        out.append(Difference("number", f"{x.text} {x.unit} ({a.article}) vs {y.text} {y.unit} ({b.article})", {
            "a": {"article": a.article, "text": x.text, "value": x.value, "unit": x.unit},
            "b": {"article": b.article, "text": y.text, "value": y.value, "unit": y.unit},
        }))
    return out


def _date_differences(a: Sentence, b: Sentence) -> list[Difference]:
    da = {d.resolved: d for d in a.dates if d.resolved and not d.anchor}
    db = {d.resolved: d for d in b.dates if d.resolved and not d.anchor}
    if not da or not db or set(da) & set(db):
        return []  # unknown on one side, or the same day however it is written
    x, y = next(iter(da.values())), next(iter(db.values()))
    return [Difference("date", f"{x.text!r} = {x.resolved} ({a.article}) vs {y.text!r} = {y.resolved} ({b.article})", {
        "a": {"article": a.article, "text": x.text, "resolved": x.resolved},
        "b": {"article": b.article, "text": y.text, "resolved": y.resolved},
    })]


def same_dates(a: Sentence, b: Sentence) -> list[tuple[str, str, str]]:
    """Dates written differently that resolve to the same day (shown, not flagged)."""
    out = []
    for x in a.dates:
        for y in b.dates:
            if x.resolved and x.resolved == y.resolved and _norm(x.text) != _norm(y.text):
                out.append((x.text, y.text, x.resolved))
    return out


def kind_of(differences: Sequence[Difference]) -> str:
    """Classify an alignment by its worst difference: contradiction, variant, or same."""
    types = {d.type for d in differences}
    if types & {"number", "date", "attribution"}:
        return "contradiction"
    if types & {"quote", "name"}:  # worded or spelled differently, the same fact
        return "variant"
    return "same"
