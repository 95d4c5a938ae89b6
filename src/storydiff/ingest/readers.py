"""Read one article from a file (.txt, .md, .html, .json) or a record dict into an Article."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from storydiff.analyze.language import article_language
from storydiff.errors import InputError, NoArticleError
from storydiff.ingest.extract import extract_html, extract_text, slugify, stable_id
from storydiff.model import Article

# --- tuning constants -------------------------------------------------------------------------
MAX_BYTES = 20_000_000  # bytes; larger files are refused (untrusted input)
BINARY_SNIFF_BYTES = 8192  # bytes inspected for NUL / control characters
BINARY_CONTROL_RATIO = 0.05  # share of control characters that marks a file as binary
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters other than \t \n \v \f \r
MAX_FIELD_CHARS = 5_000_000  # characters in one record field

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSON_SUFFIXES = frozenset({".json"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES

_STR_FIELDS = (
    "id",
    "url",
    "outlet",
    "title",
    "published",
    "text",
    "html",
    "body",
    "author",
    "subtitle",
    "language",
)


def decode_bytes(data: bytes, source: str) -> str:
    """Decode file bytes: UTF-8 (with or without BOM) first, else the encoding charset-normalizer detects."""
    head = data[:BINARY_SNIFF_BYTES]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(source, "binary file (NUL bytes), not article text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise InputError(source, "binary file or unknown text encoding") from None
        text = str(best)
    sample = text[:BINARY_SNIFF_BYTES]
    controls = len(_CONTROL.findall(sample))
    if sample and controls / len(sample) > BINARY_CONTROL_RATIO:
        raise InputError(source, "binary file (control characters), not article text")
    return text


def read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    """Read a file's bytes, refusing missing, oversized and empty files with one-line reasons."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(source, "not a regular file")
        if size > max_bytes:
            raise InputError(source, f"file is {size} bytes, over the {max_bytes}-byte limit")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(source, "no such file") from None
    except OSError as exc:
        raise InputError(source, f"cannot read file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(source, f"file is over the {max_bytes}-byte limit")
    if not data.strip():
        raise InputError(source, "empty file")
    return data


def _field(record: dict[str, Any], key: str, source: str) -> str:
    """A record field as a string ("" when absent or null); other types are an InputError."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key in ("id", "published"):
        return str(value)
    if not isinstance(value, str):
        raise InputError(source, f"field {key!r} must be a string, got {type(value).__name__}")
    if len(value) > MAX_FIELD_CHARS:
        raise InputError(source, f"field {key!r} is over {MAX_FIELD_CHARS} characters")
    return value.strip()


def article_from_record(record: dict[str, Any], *, source: str, published: str | None = None) -> Article:
    """Build an Article from a JSON/JSONL/CSV record (url, outlet, title, published, text or html).

    A title-only record is a valid article with an empty body; a record with neither is an InputError.
    """
    if not isinstance(record, dict):
        raise InputError(source, f"expected an article object, got {type(record).__name__}")
    fields = {key: _field(record, key, source) for key in _STR_FIELDS}
    text = fields["text"] or fields["body"]
    html = fields["html"]
    title = " ".join(fields["title"].split())
    url = fields["url"]
    article_id = (
        slugify(fields["id"]) if fields["id"] else stable_id(fields["outlet"], title, url, text[:200])
    )
    if not title and not text.strip() and not html.strip():
        raise NoArticleError(
            source, "record has neither a title nor article text (keys: title, text or html)"
        )
    if html.strip() and not text.strip():
        try:
            art = extract_html(html, url=url, source=source, article_id=article_id)
        except NoArticleError:
            if not title:
                raise
            art = Article(id=article_id, body="", title=title, source=source, url=url, extractor="none")
    elif text.strip():
        art = extract_text(text, source=source, article_id=article_id, url=url, title=title)
    else:
        art = Article(id=article_id, body="", title=title, source=source, url=url, extractor="none")
    changes: dict[str, Any] = {}
    if title:
        changes["title"] = title
    for key in ("outlet", "author", "subtitle"):
        if fields[key]:
            changes[key] = fields[key]
    if fields["language"] or not art.language:  # the record's own tag is a hint: the text decides when clear
        changes["language"] = article_language(title or art.title, art.body, hint=fields["language"] or art.language)
    changes["published"] = fields["published"] or art.published or published
    return replace(art, **changes)


def read_article(path: str | Path, *, published: str | None = None, max_bytes: int = MAX_BYTES) -> Article:
    """Read one article file (.txt, .md, .html/.htm, .json) or http(s) URL; `published` is the fallback date.

    Raises InputError (unknown extension, empty, binary, bad JSON) or NoArticleError (no article text).
    """
    source = str(path)
    if source[:8].lower().startswith(("http:/", "https:/")):  # a URL (pathlib folds its '//' into '/')
        from storydiff.ingest.fetch import read_url

        return read_url(source, published=published)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        choices = ", ".join(sorted(SUFFIXES))
        raise InputError(source, f"unknown file type {suffix or '(none)'!r}; expected one of {choices}")
    text = decode_bytes(read_bytes(p, source, max_bytes), source)
    if not text.strip():
        raise InputError(source, "empty file")
    stem_id = slugify(p.stem) or "article"
    if suffix in JSON_SUFFIXES:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(source, f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if isinstance(record, list):
            raise InputError(source, "expected one article object, got a list (read it as JSON Lines)")
        if not isinstance(record, dict):
            raise InputError(source, f"expected one article object, got {type(record).__name__}")
        art = article_from_record(record, source=source, published=published)
        if not art.body and not art.title:
            raise NoArticleError(source, "no article text found")
        return replace(art, id=slugify(_field(record, "id", source)) or stem_id)
    if suffix in HTML_SUFFIXES:
        art = extract_html(text, source=source, article_id=stem_id)
    else:
        art = extract_text(text, source=source, article_id=stem_id)
        if not art.body:
            raise NoArticleError(source, "no article body found (only a headline)")
    if art.published is None and published:
        art = replace(art, published=published)
    return art
