"""Turn the compare form (pasted texts and uploaded files) into Articles, with size caps and one-line errors."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from storydiff.errors import InputError, StorydiffError
from storydiff.ingest.extract import extract_text, slugify
from storydiff.ingest.readers import SUFFIXES, read_article
from storydiff.model import Article

MAX_FILE_BYTES = 2_000_000  # bytes per uploaded file or pasted text
MAX_REQUEST_BYTES = 10_000_000  # bytes per request body (every file and field together)
MAX_SOURCES = 10  # reports per comparison: alignment cost grows with the square of this
MAX_PARAGRAPH_CHARS = 3_000  # longer paragraphs are cut before analysis (sentence splitting is quadratic)
PASTE_BOXES = 3  # empty paste boxes the form shows


def human_bytes(n: int) -> str:
    """Bytes as a short human figure (1.5 MB, 300 kB)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} kB"
    return f"{n} bytes"


class TooLargeError(StorydiffError):
    """An upload or the whole request is over its size cap."""

    exit_code = 2


@dataclass(slots=True)
class Parsed:
    """What the compare form gave: the articles read and a one-line error per input that failed."""

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def cut_long_paragraphs(article: Article, limit: int = MAX_PARAGRAPH_CHARS) -> Article:
    """Split paragraphs over `limit` characters at sentence ends or spaces, so analysis stays linear."""
    paras = article.paragraphs
    if all(len(p) <= limit for p in paras):
        return article
    out: list[str] = []
    for p in paras:
        while len(p) > limit:
            window = p[:limit]
            cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
            cut = cut + 1 if cut > limit // 2 else window.rfind(" ")
            if cut <= 0:
                cut = limit
            out.append(p[:cut].strip())
            p = p[cut:].strip()
        if p:
            out.append(p)
    return replace(article, body="\n\n".join(x for x in out if x))


def paste_article(text: str, *, number: int, outlet: str = "", published: str = "") -> Article:
    """An Article from text pasted into box `number` (headline on the first line when it looks like one)."""
    name = f"pasted text {number}"
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise TooLargeError(f"{name}: {human_bytes(size)}, over the {human_bytes(MAX_FILE_BYTES)} limit per text")
    art = extract_text(text, source=name, article_id=slugify(outlet) or f"text-{number}",
                       outlet=outlet.strip()[:200], published=_iso_or_none(published, name))
    if not art.body:
        raise InputError(name, "no article body found (only a headline)")
    return art


def file_article(filename: str, data: bytes, *, published: str = "") -> Article:
    """An Article from an uploaded file's bytes, read by its suffix (.txt, .md, .html, .json)."""
    name = Path(filename.replace("\\", "/")).name or "upload"
    if len(data) > MAX_FILE_BYTES:
        raise TooLargeError(f"{name}: over the {human_bytes(MAX_FILE_BYTES)} limit per file")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(name, f"unknown file type {suffix or '(none)'!r}; expected one of {', '.join(sorted(SUFFIXES))}")
    stem = slugify(Path(name).stem) or "upload"
    with tempfile.TemporaryDirectory(prefix="storydiff-web-") as tmp:
        path = Path(tmp) / f"{stem}{suffix}"  # never the client's path: only a slug and a known suffix
        path.write_bytes(data)
        art = read_article(path, published=_iso_or_none(published, name), max_bytes=MAX_FILE_BYTES)
    return replace(art, source=name)


def _iso_or_none(value: str, name: str) -> str | None:
    """The ISO date or datetime typed in the form, None when empty; InputError when it is not one."""
    from datetime import datetime

    value = (value or "").strip()
    if not value:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(name, f"date {value[:40]!r} is not an ISO date (YYYY-MM-DD)") from None
    return value
