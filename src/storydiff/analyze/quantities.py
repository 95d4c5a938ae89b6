"""Numbers in sentences, normalised to values with the thing they count, so reports can be checked."""

from __future__ import annotations

import re
from functools import lru_cache

from storydiff.model import Quantity

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_SKIP_UNITS = {"the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "more", "than"}
_NOT_UNITS = {"is", "are", "was", "were", "has", "have", "had", "will", "would", "said", "says", "who", "which"}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)

_NUMBER = re.compile(
    r"(?P<cur>[$€£¥])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted((w for w in _WORDS), key=len, reverse=True))
    + r")\b"
    r"(?:[\s-]?(?P<scale>thousand|million|billion|trillion|bn|mn|m)\b)?"
    r"(?P<pct>\s?(?:%|per\s?cent|percent))?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_DATE_CONTEXT = re.compile(rf"\b(?:{_MONTHS})\.?\s*$", re.IGNORECASE)
_DATE_AFTER = re.compile(rf"^\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(?:{_MONTHS})\b", re.IGNORECASE)
_TIME_UNITS = {"years", "year", "days", "day", "weeks", "week", "months", "month", "hours", "hour", "minutes"}


def _value(match: re.Match[str]) -> float:
    raw = match.group("num").lower().replace(",", "")
    value = float(_WORDS[raw]) if raw in _WORDS else float(raw)
    scale = (match.group("scale") or "").lower()
    return value * _SCALES.get(scale, 1.0)


MAX_UNIT_WORDS = 3  # "12 dock workers": the counted noun ends a short run of words after the number


def _unit_after(text: str, pos: int) -> str:
    """The counted noun: the last word of the short run of content words right after the number."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    run: list[str] = []
    for m in _WORD_OR_PUNCT.finditer(text, pos, min(len(text), pos + 80)):
        word = m.group(0).lower().strip("’'")
        if not word:
            break
        if not word[0].isalpha() or word in ENGLISH_STOP_WORDS or word in _NOT_UNITS:
            if run or not word[0].isalpha():
                break
            if word in _SKIP_UNITS:
                continue
            break
        if word in _WORDS:
            continue
        run.append(word)
        if len(run) == MAX_UNIT_WORDS:
            break
    return run[-1] if run else ""


_WORD_OR_PUNCT = re.compile(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]")


def find_quantities(sentence: str) -> list[Quantity]:
    """Find the numbers of a sentence (digits, number words, scales, money, percent), skipping dates."""
    found: list[Quantity] = []
    for m in _NUMBER.finditer(sentence):
        raw = m.group("num")
        start, end = m.start(), m.end()
        if raw.isdigit() and (_DATE_CONTEXT.search(sentence[:start]) or _DATE_AFTER.match(sentence[end:])):
            continue  # "February 24", "24th February": a date, handled by analyze.dates
        if raw.isdigit() and len(raw) == 4 and 1800 <= int(raw) <= 2100 and not m.group("cur"):
            continue  # a year
        if raw.lower() == "one" and not m.group("scale"):
            continue  # "one of", "no one": rarely a count worth checking
        value = _value(m)
        if m.group("pct"):
            unit = "%"
        elif m.group("cur"):
            unit = _CURRENCY[m.group("cur")]
        else:
            unit = _unit_after(sentence, end)
        found.append(Quantity(text=m.group(0).strip(), value=value, unit=unit))
    return found


def is_duration(q: Quantity) -> bool:
    """True when the number counts time ("30 years"), which dates compare better."""
    return q.unit in _TIME_UNITS


MAX_WORD_NUMBER = 100  # counts written in words stop here in news text ("ninety-nine", not "two thousand")
MIN_NUMBER_WORD_CHARS = 3  # shorter number words ("un", Korean "이", Japanese "二") are also common words


@lru_cache(maxsize=64)
def number_words(language: str) -> dict[str, float]:
    """The language's one-word cardinals from two to a hundred (from num2words), to read counts written in words.

    One is left out: in most languages it is also the indefinite article ("un", "ein", "bir")."""
    try:
        from num2words import num2words
    except ImportError:
        return {}
    words: dict[str, float] = {}
    for n in range(2, MAX_WORD_NUMBER + 1):
        try:
            word = str(num2words(n, lang=language or "en")).lower()
        except (NotImplementedError, KeyError, ValueError, TypeError, OverflowError):
            return words  # a language num2words does not write
        if " " not in word and len(word) >= MIN_NUMBER_WORD_CHARS:
            words.setdefault(word, float(n))
    return words
