"""Turn one page (HTML) or text saved from a page into an Article: title, byline, date, outlet, clean body."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from storydiff.analyze.language import article_language
from storydiff.analyze.script import word_count
from storydiff.errors import NoArticleError
from storydiff.ingest.boilerplate import is_name_line, judge, strip_boilerplate
from storydiff.model import Article, Block

# --- tuning constants -------------------------------------------------------------------------
TITLE_MAX_WORDS = 30  # words; a first line longer than this is body text, not a headline
SUBTITLE_MAX_WORDS = 40  # words; a standfirst is one short sentence
SLUG_MAX_CHARS = 40  # characters in an article id
MAX_TEXT_CHARS = 5_000_000  # characters of text considered (untrusted input)
WRAP_MIN_CHARS = 40  # chars; hard-wrapped lines are at least this long (except the last)
WRAP_MAX_CHARS = 100  # chars; and no longer than this
MIN_SENTENCE_WORDS = 6  # words; a page needs one sentence this long to hold an article…
RULES_VERSION = "evidence-v1"  # name and version of the boilerplate rules, stored with each Article
MAX_HTML_CHARS = 8_000_000  # characters of HTML handed to the extractor (untrusted input)
# htmldate without its extensive search: dates from metadata and the URL only (halves metadata time)
FAST_DATE = {"extensive_search": False, "original_date": True}
MIN_ARTICLE_CHARS = 200  # …or this many characters of text (scripts without spaces, lists)
MAX_HTML_DEPTH = 255  # element nesting libxml2 parses; anything deeper is dropped by the parser

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_FINAL_STOP = re.compile(r"[.。．｡।॥۔።։។။]$")  # a full stop in any script: a line ending in one is not a headline
_BY_PREFIX = re.compile(r"^by\s+", re.I)
# sentence ends in every script: Latin, CJK (。．！？｡), Devanagari (।॥), Arabic (؟۔), Ethiopic (።), Armenian (։),
# Khmer (។), Myanmar (။), closing quotes and brackets; Thai and Lao end a sentence with a space instead
_SENTENCE_END = re.compile(r"(?:[.!?:;\"”’)。．！？｡।॥؟۔።։។။»」』）]|[\u0e01-\u0e5b\u0e81-\u0edf])$")


def slugify(text: str, max_chars: int = SLUG_MAX_CHARS) -> str:
    """A short stable ASCII slug ("The Independent!" -> "the-independent") for article ids."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:max_chars].rstrip("-")


def stable_id(*parts: str) -> str:
    """A short id from the first non-empty part's slug plus a hash of all parts (stable across runs)."""
    base = next((slugify(p) for p in parts if slugify(p)), "article")
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:8]
    return f"{base[: SLUG_MAX_CHARS - 9]}-{digest}"


def _markdown_line(line: str) -> str:
    """A markdown line as plain text: no heading marks, link targets, images or bold markers."""
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_EMPHASIS.sub(r"\2", line)
    line = _MD_HEADING.sub("", line)
    return "" if _MD_RULE.match(line) else line.strip()


def _hard_wrapped(lines: list[str]) -> bool:
    """True when a block's lines are one paragraph wrapped at a fixed width."""
    if len(lines) < 2:
        return False
    body = lines[:-1]
    return all(WRAP_MIN_CHARS <= len(x) <= WRAP_MAX_CHARS for x in body) and sum(
        1 for x in body if _SENTENCE_END.search(x)
    ) < len(body)


def text_paragraphs(text: str) -> list[str]:
    """Split page text into paragraphs: blank lines separate blocks; lines are paragraphs unless hard-wrapped."""
    text = text[:MAX_TEXT_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_markdown_line(x) for x in block.split("\n")]
        lines = [x for x in lines if x]
        if not lines:
            continue
        if _hard_wrapped(lines):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return [" ".join(p.split()) for p in paragraphs]


def _is_title_line(line: str, max_words: int) -> bool:
    """A headline-like line: short, and no final full stop."""
    return 0 < len(line.split()) <= max_words and not _FINAL_STOP.search(line.strip())


def clean_body(paragraphs: list[str]) -> tuple[list[str], list[Block], str]:
    """Drop boilerplate and pull out a byline; return kept paragraphs, dropped blocks and the author."""
    kept, dropped = strip_boilerplate(paragraphs)
    author = ""
    # a name-only line that closes the text (alone, or before a dropped bio) is the byline
    if kept and is_name_line(kept[-1]):
        author = _BY_PREFIX.sub("", kept.pop())
        dropped.append(Block(author, "byline"))
    else:
        for block in dropped:
            if block.reason == "byline":
                author = _BY_PREFIX.sub("", block.text)
                break
    # a "By Name" line at the top is a byline too
    if kept and _BY_PREFIX.match(kept[0]) and is_name_line(kept[0]):
        line = kept.pop(0)
        author = author or _BY_PREFIX.sub("", line)
        dropped.insert(0, Block(line, "byline"))
    return kept, dropped, author


def extract_text(
    text: str,
    *,
    source: str = "",
    article_id: str = "",
    url: str = "",
    outlet: str = "",
    published: str | None = None,
    title: str | None = None,
) -> Article:
    """Read plain text or markdown saved from a page: headline, standfirst, byline and clean body.

    When `title` is given (a record with its own title) no headline is taken from the text.
    Raises NoArticleError when neither a title nor body text is found.
    """
    paragraphs = text_paragraphs(text)
    subtitle = ""
    if title and paragraphs and " ".join(paragraphs[0].split()).casefold() == " ".join(title.split()).casefold():
        paragraphs.pop(0)  # the record's text repeats its own headline as the first line
    if title is None:
        title = ""
        if paragraphs and _is_title_line(paragraphs[0], TITLE_MAX_WORDS) and len(paragraphs) > 1:
            title = paragraphs.pop(0)
            if len(paragraphs) > 1 and _is_standfirst(paragraphs[0]):
                subtitle = paragraphs.pop(0)
    kept, dropped, author = clean_body(paragraphs)
    if not title and not _has_sentence(kept):
        raise NoArticleError(source or "<text>", "no article text found (no headline and no sentence)")
    body = "\n\n".join(kept)
    return Article(
        id=article_id or stable_id(title, source, url),
        body=body,
        language=article_language(title, body),
        title=title,
        source=source,
        url=url,
        outlet=outlet,
        author=author,
        published=published,
        subtitle=subtitle,
        extractor=f"text+{RULES_VERSION}",
        dropped=tuple(dropped),
    )


def _is_standfirst(line: str) -> bool:
    """A short line without final full stop under the headline, with no boilerplate evidence."""
    if not _is_title_line(line, SUBTITLE_MAX_WORDS):
        return False
    verdict = judge(line)
    return verdict is None or verdict.reason == "heading"


def _trafilatura_version() -> str:
    """The installed trafilatura version (recorded with each extracted Article)."""
    import trafilatura

    return str(getattr(trafilatura, "__version__", "?"))


def _trafilatura(html: str, *, url: str = "") -> dict[str, str]:
    """Run trafilatura once (precision mode, no comments) and return its text and metadata as strings."""
    import trafilatura

    kwargs: dict[str, Any] = {"url": url or None, "favor_precision": True, "include_comments": False,
                              "date_extraction_params": FAST_DATE}
    try:
        doc = trafilatura.bare_extraction(html[:MAX_HTML_CHARS], with_metadata=True, **kwargs)
    except AssertionError:
        # the date search fails an assertion when the page's root element is one it drops
        # (a page opening with <iframe> or <math>): read the text without the metadata
        doc = trafilatura.bare_extraction(html[:MAX_HTML_CHARS], with_metadata=False, **kwargs)
    if doc is None:
        return {}
    fields = ("text", "title", "author", "date", "sitename", "url", "hostname", "language")
    return {f: value for f in fields if isinstance(value := getattr(doc, f, None), str)}


def _too_deep(html: str) -> bool:
    """True when the page's elements nest as deep as the parser goes (only asked when no text was found)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(html[:MAX_HTML_CHARS])
    except (etree.ParserError, ValueError):
        return False
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth >= MAX_HTML_DEPTH - 1:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def _str(value: object) -> str:
    """A metadata value as a clean one-line string."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _same_text(a: str, b: str) -> bool:
    """Equal after case and whitespace folding (a headline repeated as the body's first line)."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def extract_html(html: str, *, url: str = "", source: str = "", article_id: str = "") -> Article:
    """Extract the article from one HTML page with trafilatura, then drop boilerplate paragraphs."""
    name = source or url or "<html>"
    data = _trafilatura(html, url=url)
    text = data.get("text", "")
    if not text.strip():
        if _too_deep(html):
            raise NoArticleError(name, f"HTML nested over {MAX_HTML_DEPTH} levels deep: text below that "
                                 "depth is not read, and no article text was found above it")
        raise NoArticleError(name, "no article text found in the page")
    title = _str(data.get("title"))
    paragraphs = [" ".join(p.split()) for p in text.split("\n") if p.strip()]
    if paragraphs and title and _same_text(paragraphs[0], title):
        paragraphs.pop(0)
    kept, dropped, author = clean_body(paragraphs)
    if not _has_sentence(kept):
        raise NoArticleError(name, "no article text found in the page (only menus, links or boilerplate)")
    page_url = url or _str(data.get("url"))
    outlet = _str(data.get("sitename"))
    if not outlet and page_url:
        outlet = urlsplit(page_url).hostname or ""
    body = "\n\n".join(kept)
    return Article(
        id=article_id or stable_id(title, source, page_url),
        body=body,
        title=title,
        source=source,
        url=page_url,
        outlet=outlet,
        author=_str(data.get("author")) or author,
        published=_str(data.get("date")) or None,
        language=article_language(title, body, hint=_str(data.get("language"))),
        extractor=f"trafilatura-{_trafilatura_version()}+{RULES_VERSION}",
        dropped=tuple(dropped),
    )


def _has_sentence(paragraphs: list[str]) -> bool:
    """True when the text reads as prose: a sentence of enough words, or enough characters (CJK, lists)."""
    if sum(len(p) for p in paragraphs) >= MIN_ARTICLE_CHARS:
        return True
    return any(word_count(p) >= MIN_SENTENCE_WORDS and _SENTENCE_END.search(p) for p in paragraphs)

