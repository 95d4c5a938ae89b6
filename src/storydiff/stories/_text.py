"""Small text and time helpers shared by the stories stage (lead, names, timestamps)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from storydiff.model import Article

LEAD_WORDS = 60  # words of the body kept as the "lead" next to the title (about two sentences)
_WORD = re.compile(r"[A-Za-z][\w'’.-]*\w|[A-Za-z]")
_NAME_STOP = frozenset(
    """a an the and or but of in on at to for from by with as is are was were be been it its this that
    these those he she they we you i his her their our my your not no new after before over under into
    about up down out off than then how why what when where who will would could should can may might
    says said say report reports news live update video photos watch here there just more most""".split()
)


def lead(article: Article, words: int = LEAD_WORDS) -> str:
    """The title followed by the first words of the body: what the clusterer embeds."""
    body = " ".join(article.body.split()[:words]) if article.body else ""
    title = article.title.strip()
    if title and body:
        return f"{title}. {body}"
    return title or body or article.subtitle


def names(text: str) -> frozenset[str]:
    """Capitalised content words (a cheap stand-in for named entities), lower-cased."""
    out = set()
    for match in _WORD.finditer(text):
        word = match.group(0).strip(".-'’")
        if len(word) > 1 and word[0].isupper() and word.lower() not in _NAME_STOP:
            out.add(word.lower())
    return frozenset(out)


def timestamp(published: str | None) -> float | None:
    """Seconds since the epoch for an ISO date or datetime (naive means UTC); None when absent or unreadable."""
    if not published:
        return None
    text = published.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
