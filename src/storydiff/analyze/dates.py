"""Date expressions in sentences, resolved against the article's publication date where it is known."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from storydiff.model import DateRef

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_NAMES = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_PATTERNS = [
    rf"\b{_MON}\.?\s+{_DAY}(?:,?\s+\d{{4}})?\b",  # February 24th, 2022
    rf"\b{_DAY}\s+(?:of\s+)?{_MON}\b(?:,?\s+\d{{4}})?",  # 24 February 2022
    r"\b\d{4}-\d{2}-\d{2}\b",  # 2022-02-24
    r"\b(?:last|next|this|on|since|from|until|by)?\s*(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    r"\b(?:yesterday|today|tomorrow)\b",
]
_DATE_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_HAS_YEAR = re.compile(r"\b\d{4}\b")
_ANCHOR = re.compile(r"\b(?:since|until|till|before|after|from|through|as of)\s*$", re.IGNORECASE)
MAX_DAYS_BACK = 6  # a bare weekday in news means the most recent one within the past week


def parse_published(value: str | None) -> date | None:
    """Parse an article's publication date (ISO or free text) into a date, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        pass
    parsed = _dateparser_parse(value.strip(), None)
    return parsed


@lru_cache(maxsize=4096)
def _dateparser_parse(text: str, base: date | None) -> date | None:
    import dateparser

    settings: dict[str, object] = {"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month"]}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError, RecursionError):
        return None
    return parsed.date() if parsed else None


def _nearest_year(day: date, base: date) -> date:
    """Put a date written without a year in the year that brings it closest to the base date."""
    candidates = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # 29 February
            continue
    return min(candidates, key=lambda d: abs((d - base).days), default=day)


def resolve(text: str, base: date | None) -> tuple[str | None, bool]:
    """Resolve one date expression to an ISO day; the flag says it was relative to the base."""
    try:
        return _resolve(text, base)
    except OverflowError:  # "tomorrow" from 9999-12-31, "last Monday" from 0001-01-01: no such day
        return None, True


def _resolve(text: str, base: date | None) -> tuple[str | None, bool]:
    low = " ".join(text.lower().split())
    words = low.split()
    if words and words[-1] in _WEEKDAYS:
        if base is None:
            return None, True
        target = _WEEKDAYS.index(words[-1])
        back = (base.weekday() - target) % 7
        if words[0] == "last":
            back = back or 7
        elif words[0] == "next":
            return (base + timedelta(days=(target - base.weekday()) % 7 or 7)).isoformat(), True
        elif back > MAX_DAYS_BACK:
            return None, True
        return (base - timedelta(days=back)).isoformat(), True
    if low in ("yesterday", "today", "tomorrow"):
        if base is None:
            return None, True
        shift = {"yesterday": -1, "today": 0, "tomorrow": 1}[low]
        return (base + timedelta(days=shift)).isoformat(), True
    parsed = _dateparser_parse(re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text), base)
    if parsed is None:
        return None, False
    if not _HAS_YEAR.search(text) and base is not None:
        parsed = _nearest_year(parsed, base)
    elif not _HAS_YEAR.search(text):
        return None, False  # "February 24" with no year and no publication date: unknown day
    return parsed.isoformat(), False


def find_dates(sentence: str, published: date | None) -> list[DateRef]:
    """Find the date expressions of a sentence and resolve each against the publication date."""
    refs: list[DateRef] = []
    for m in _DATE_RE.finditer(sentence):
        text = m.group(0).strip()
        if not text:
            continue
        resolved, relative = resolve(text, published)
        anchor = bool(_ANCHOR.search(sentence[max(0, m.start() - 12) : m.start()])) or text.lower().startswith(
            ("since", "from", "until"))
        refs.append(DateRef(text=text, resolved=resolved, relative=relative, anchor=anchor))
    return refs
