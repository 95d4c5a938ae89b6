"""Date expressions in sentences, resolved against the article's publication date where it is known."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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


def find_dates(sentence: str, published: date | None, language: str = "") -> list[DateRef]:
    """Find the date expressions of a sentence in its report's language (ISO 639-1) and resolve each against the
    publication date; English expressions and ISO dates are found in every language."""
    lexicon = _lexicon(_base_language(language))
    found = _foreign_dates(sentence, published, lexicon) if lexicon is not None else []
    taken = [span for span, _ in found]
    for m in _DATE_RE.finditer(sentence):
        text = m.group(0).strip()
        if not text or any(m.start() < end and start < m.end() for start, end in taken):
            continue
        resolved, relative = resolve(text, published)
        anchor = bool(_ANCHOR.search(sentence[max(0, m.start() - 12) : m.start()])) or text.lower().startswith(
            ("since", "from", "until"))
        found.append(((m.start(), m.end()), DateRef(text=text, resolved=resolved, relative=relative, anchor=anchor)))
    return [ref for _, ref in sorted(found, key=lambda item: item[0])]


# --- other languages, from dateparser's own language data ------------------------------------------------

MIN_WORD_CHARS = 4  # shorter weekday and relative-day spellings ("mi", "sa", "ср") are abbreviations that read as
# common words; they are kept only when the language has no longer spelling
MIN_RELATIVE_CHARS = 3  # relative-day words are whole words ("hoy", "dün"); two letters are too ambiguous
MIN_MONTH_CHARS = 3  # a month abbreviation beside a day number is safe ("1 ago"); shorter ones ("ag") are not
MIN_QUALIFIER_CHARS = 4  # "next"/"last" words shorter than this in dateparser's data are abbreviations ("pr", "ant")
MAX_CONNECTORS = 2  # words allowed between a day, its month and its year ("1 de agosto de 2024")
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI")  # scripts whose dates run into the next word
_DAY_NUMBER = r"(?<![\d.,])(?:3[01]|[12]\d|0?[1-9])(?![\d,])"
_YEAR_NUMBER = r"(?<![\d.,])\d{4}(?![\d,])"


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """One language's date words, as dateparser knows them."""

    language: str
    pattern: re.Pattern[str]
    weekdays: dict[str, int]  # casefolded spelling -> 0 (Monday) … 6
    months: dict[str, int]  # casefolded spelling -> 1 (January) … 12
    shifts: dict[str, int]  # casefolded relative-day word -> days from the publication date
    next_words: frozenset[str]  # a weekday next to one of these is the coming one ("próximo", "nächsten")
    last_words: frozenset[str]  # … the one before the most recent ("pasado", "letzten")


def _base_language(language: str) -> str:
    """'pt-BR' -> 'pt'; '' stays ''."""
    return re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]


def _unspaced(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(_UNSPACED)


def _alternation(forms: list[str]) -> str:
    """A regex matching any of FORMS (longest first), with word edges where the script has them."""
    parts = []
    for form in sorted(set(forms), key=len, reverse=True):
        head = "" if _unspaced(form[0]) else r"(?<!\d)" if form[0].isdigit() else r"(?<!\w)"
        tail = "" if _unspaced(form[-1]) else r"(?!\d)" if form[-1].isdigit() else r"(?!\w)"
        parts.append(head + re.escape(form) + tail)
    return "|".join(parts) or r"(?!x)x"


def _kept(forms: list[str], shortest: int) -> list[str]:
    """The spellings of one word long enough to trust; the longest ones whatever their length."""
    clean = [f.strip().casefold() for f in forms if f.strip() and not f.strip().startswith("(")]
    if not clean:
        return []
    longest = max(len(f) for f in clean)
    return [f for f in clean if len(f) >= shortest or len(f) == longest]


def _is_form(word: str, forms: frozenset[str]) -> bool:
    """WORD is one of FORMS, or one with its last letter changed or one letter added (próxima ~ próximo)."""
    return word in forms or word[:-1] in forms or any(
        len(f) == len(word) and f[:-1] == word[:-1] for f in forms)


@lru_cache(maxsize=64)
def _lexicon(language: str) -> _Lexicon | None:
    """The date words of LANGUAGE from dateparser's data; None for English (handled above) or an unknown code."""
    if not language or language == "en":
        return None
    try:
        from dateparser.languages.loader import default_loader

        info = default_loader.get_locale(language).info
    except (ValueError, KeyError, ImportError):
        return None
    weekdays = {f: i for i, day in enumerate(_WEEKDAYS) for f in _kept(info.get(day, []), MIN_WORD_CHARS)}
    months = {f: i for i, month in enumerate(_MONTH_NAMES, 1) for f in _kept(info.get(month, []), MIN_MONTH_CHARS)}
    relative = info.get("relative-type", {})
    shifts: dict[str, int] = {}
    ambiguous: set[str] = set()
    for key, forms in relative.items():
        m = re.fullmatch(r"(in )?(\d+) day( ago)?", key)
        if not m or bool(m.group(1)) == bool(m.group(3)):
            continue
        shift = int(m.group(2)) * (1 if m.group(1) else -1)
        for form in _kept(forms, MIN_RELATIVE_CHARS):
            if shifts.get(form, shift) != shift:
                ambiguous.add(form)  # one word for yesterday and tomorrow (Hindi "kal"): no day can be read
            shifts[form] = shift
    for form in ambiguous:
        del shifts[form]

    def words(template: str) -> set[str]:  # the words of "next week", "next month", "next year" …
        return {w.casefold() for unit in ("week", "month", "year")
                for phrase in relative.get(template.format(unit), []) for w in phrase.split()}

    units = {w.casefold() for unit in ("day", "week", "month", "year") for w in info.get(unit, [])}
    common = words("0 {} ago") | units  # "this", "week", articles: neither next nor last
    next_words = frozenset(w for w in words("in 1 {}") - words("1 {} ago") - common if len(w) >= MIN_QUALIFIER_CHARS)
    last_words = frozenset(w for w in words("1 {} ago") - words("in 1 {}") - common if len(w) >= MIN_QUALIFIER_CHARS)
    connectors = [w for w in info.get("skip", []) + info.get("pertain", []) if any(c.isalpha() for c in w)]
    conn = "|".join(re.escape(w.strip()) for w in sorted(set(connectors), key=len, reverse=True) if w.strip())
    between = rf"[\s,.]*(?:(?:{conn})[\s,.]*){{0,{MAX_CONNECTORS}}}" if conn else r"[\s,.]*"
    month = f"(?P<month>{_alternation(list(months))})"
    day, year = f"(?P<day>{_DAY_NUMBER})", f"(?P<year>{_YEAR_NUMBER})"
    if str(info.get("date_order", "DMY")).startswith("Y"):  # 2024年8月1日, 2024년 8월 1일
        year_words = _alternation(_kept(info.get("year", []), 1))
        day_words = _alternation(_kept(info.get("day", []), 1))
        absolute = rf"(?:{year}\s*(?:{year_words}|\.)?\s*)?{month}\s*{day}(?:\s*(?:{day_words}|\.))?"
    else:  # 1 de agosto de 2024, 1. August 2024, 1er août
        absolute = rf"{day}\.?{between}{month}(?:{between}{year})?"
    pattern = re.compile(rf"(?P<abs>{absolute})|(?P<wd>{_alternation(list(weekdays))})"
                         rf"|(?P<rel>{_alternation(list(shifts))})", re.IGNORECASE)
    return _Lexicon(language, pattern, weekdays, months, shifts, next_words, last_words)


def _lookup(table: dict[str, int], text: str) -> int | None:
    """TABLE's value for a matched spelling, compared the way the pattern matched it (case-insensitively)."""
    key = text.casefold()
    if key in table:
        return table[key]
    return next((v for k, v in table.items() if re.fullmatch(re.escape(k), text, re.IGNORECASE)), None)


def _neighbour_words(sentence: str, start: int, end: int) -> tuple[tuple[int, int, str] | None, ...]:
    """The word just before and the word just after a span, with their positions."""
    before = re.search(r"(\S+)\s+$", sentence[:start])
    after = re.match(r"\s+(\S+)", sentence[end:])
    return ((before.start(1), before.end(1), before.group(1)) if before else None,
            (end + after.start(1), end + after.end(1), after.group(1)) if after else None)


def _foreign_dates(sentence: str, published: date | None,
                   lexicon: _Lexicon) -> list[tuple[tuple[int, int], DateRef]]:
    """Date expressions of LEXICON's language in a sentence, each with its span."""
    out: list[tuple[tuple[int, int], DateRef]] = []
    for m in lexicon.pattern.finditer(sentence):
        start, end = m.span()
        text = m.group(0).strip(" ,.")
        if not text:
            continue
        if m.group("abs"):
            resolved = _foreign_absolute(m, published, lexicon)
            out.append(((start, end), DateRef(text=text, resolved=resolved)))
        elif m.group("wd"):
            (start, end), resolved = _foreign_weekday(sentence, start, end, published, lexicon)
            out.append(((start, end), DateRef(text=sentence[start:end], resolved=resolved, relative=True)))
        else:
            shift = _lookup(lexicon.shifts, m.group("rel"))
            before, _ = _neighbour_words(sentence, start, end)
            # hand-written: dateparser reads "mañana"/"Morgen" as tomorrow, but after an article ("la mañana",
            # "am Morgen") or capitalised mid-sentence the word is the noun "morning"
            if shift is None or shift > 0 and before and (len(before[2]) <= MIN_QUALIFIER_CHARS or text[0].isupper()):
                continue
            resolved = (published + timedelta(days=shift)).isoformat() if published else None
            out.append(((start, end), DateRef(text=text, resolved=resolved, relative=True)))
    return out


def _foreign_absolute(m: re.Match[str], published: date | None, lexicon: _Lexicon) -> str | None:
    """A day-and-month date read from its parts (dateparser misreads some, e.g. Chinese "8月3日"), its year taken
    from the publication date when absent."""
    month = _lookup(lexicon.months, m.group("month"))
    if month is None:
        return None
    try:
        if m.group("year"):
            return date(int(m.group("year")), month, int(m.group("day"))).isoformat()
        if published is None:
            return None
        return _nearest_year(date(2000, month, int(m.group("day"))), published).isoformat()  # 2000: has 29 Feb
    except ValueError:  # 31 April, year 0
        return None


def _foreign_weekday(sentence: str, start: int, end: int, published: date | None,
                     lexicon: _Lexicon) -> tuple[tuple[int, int], str | None]:
    """A weekday resolved like an English one; a "next"/"last" word beside it joins the expression."""
    target = _lookup(lexicon.weekdays, sentence[start:end])
    if target is None:
        return (start, end), None
    step = 0
    for neighbour in _neighbour_words(sentence, start, end):
        if neighbour is None:
            continue
        word = neighbour[2].casefold().strip(",.;:")
        for forms, direction in ((lexicon.next_words, 1), (lexicon.last_words, -1)):
            if _is_form(word, forms):
                step = direction
                start, end = min(start, neighbour[0]), max(end, neighbour[0] + len(neighbour[2].rstrip(",.;:")))
                break
        if step:
            break
    if published is None:
        return (start, end), None
    try:
        back = (published.weekday() - target) % 7
        if step > 0:
            return (start, end), (published + timedelta(days=(target - published.weekday()) % 7 or 7)).isoformat()
        if step < 0:
            return (start, end), (published - timedelta(days=back or 7)).isoformat()
        if back > MAX_DAYS_BACK:
            return (start, end), None
        return (start, end), (published - timedelta(days=back)).isoformat()
    except OverflowError:  # no such day before 0001-01-01 or after 9999-12-31
        return (start, end), None
