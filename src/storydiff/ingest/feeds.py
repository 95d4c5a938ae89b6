"""Read RSS/Atom feeds (feedparser) and news sitemaps (lxml) into the list of article links they name.

A malformed entry (no link, a link that is not http(s), a repeat) is skipped and the reason kept in
`Feed.skipped`; a document that is neither a feed nor a sitemap is an InputError naming its URL.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from storydiff.errors import InputError
from storydiff.model import _Plain

# --- tuning constants -------------------------------------------------------------------------
MAX_ITEMS = 50_000  # links read from one feed or sitemap (the sitemap protocol's own limit)
MAX_SITEMAP_BYTES = 50_000_000  # bytes of one uncompressed sitemap (the protocol's limit)
MAX_CHILD_SITEMAPS = 50  # sitemaps of an index that are read (the newest listed first are kept)
MAX_URL_CHARS = 2048  # longer links are skipped
MAX_TITLE_CHARS = 500  # characters of an entry title kept
SNIFF_BYTES = 4096  # bytes inspected to tell a sitemap from a feed
TRACKING_PREFIXES = ("utm_",)  # query parameters that only say where a click came from
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid"})

_SITEMAP_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex)[\s>]")


@dataclass(frozen=True, slots=True)
class FeedItem(_Plain):
    """One article link a feed or sitemap names."""

    url: str
    title: str = ""
    published: str | None = None  # ISO 8601 (UTC for feeds) when the entry gives a date
    outlet: str = ""  # the publication the feed names (news:name, else the feed title)
    language: str = ""


@dataclass(frozen=True, slots=True)
class Skipped(_Plain):
    """An entry left out, and why."""

    where: str  # "entry 3" (feeds) or "url 17" (sitemaps)
    reason: str


@dataclass(frozen=True, slots=True)
class Feed(_Plain):
    """What one feed or sitemap lists."""

    url: str
    kind: str  # rss | atom | sitemap | sitemap-index
    title: str = ""
    items: tuple[FeedItem, ...] = ()
    sitemaps: tuple[str, ...] = ()  # the child sitemaps of a sitemap index
    skipped: tuple[Skipped, ...] = ()
    warning: str = ""  # a problem the parser got past (broken XML recovered, for example)


def is_sitemap(data: bytes) -> bool:
    """True when the document's root element is a sitemap <urlset> or <sitemapindex>."""
    return bool(_SITEMAP_ROOT.search(data[:SNIFF_BYTES]))


def parse_feed(data: bytes, *, url: str) -> Feed:
    """Parse an RSS/Atom feed or a (news) sitemap; gzip-compressed input is accepted."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, url)
    if is_sitemap(data):
        return parse_sitemap(data, url=url)
    return _parse_syndication(data, url)


def _gunzip(data: bytes, url: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise InputError(url, f"bad gzip data ({exc})") from None
    if len(out) > MAX_SITEMAP_BYTES:
        raise InputError(url, f"uncompressed size is over the {MAX_SITEMAP_BYTES}-byte limit")
    return out


class _Links:
    """Checks links one at a time: absolute http(s), not too long, not seen before in this document."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.seen: dict[str, str] = {}
        self.items: list[FeedItem] = []
        self.skipped: list[Skipped] = []

    def add(self, where: str, link: str, **fields: Any) -> None:
        link = (link or "").strip()
        if not link:
            self.skipped.append(Skipped(where, "no link"))
            return
        if len(self.items) >= MAX_ITEMS:
            self.skipped.append(Skipped(where, f"over the {MAX_ITEMS}-link limit"))
            return
        absolute = urljoin(self.base, link)
        parts = urlsplit(absolute)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            self.skipped.append(Skipped(where, f"link is not an http(s) URL: {link[:80]!r}"))
            return
        if len(absolute) > MAX_URL_CHARS:
            self.skipped.append(Skipped(where, f"link is over {MAX_URL_CHARS} characters"))
            return
        absolute = _untracked(absolute.split("#", 1)[0])
        if absolute in self.seen:
            self.skipped.append(Skipped(where, f"same link as {self.seen[absolute]}"))
            return
        self.seen[absolute] = where
        title = " ".join(str(fields.pop("title", "") or "").split())[:MAX_TITLE_CHARS]
        self.items.append(FeedItem(absolute, title, **fields))


def _untracked(url: str) -> str:
    """The link without campaign-tracking parameters (utm_*, fbclid, gclid...), so one article is one link."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(parsed)))
    except (OverflowError, ValueError, TypeError):
        return None


def _parse_syndication(data: bytes, url: str) -> Feed:
    import feedparser

    # A stream, never a string: feedparser fetches a string that looks like a URL.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url},
                              sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception")
    if not version and not entries:
        why = f" ({' '.join(str(problem).split())[:150]})" if problem else ""
        raise InputError(url, f"not an RSS/Atom feed or sitemap{why}")
    meta = parsed.get("feed") or {}
    outlet = " ".join(str(meta.get("title") or "").split())
    language = str(meta.get("language") or "")[:20]
    links = _Links(url)
    for i, entry in enumerate(entries, 1):
        where = f"entry {i}"
        link = entry.get("link") or ""
        guid = entry.get("id") or ""
        if link == guid and not guid.startswith(("http://", "https://")):
            link = ""  # feedparser offers a non-URL id (urn:...) as the link of a link-less entry
        elif not link and guid.startswith(("http://", "https://")) and entry.get("guidislink", True):
            link = guid
        # (dict.get: FeedParserDict.get maps the two keys onto each other with a DeprecationWarning)
        published = _iso(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
        links.add(where, link, title=entry.get("title") or "", published=published, outlet=outlet,
                  language=language)
    warning = ""
    if parsed.get("bozo") and problem is not None:
        warning = f"malformed feed, read as far as possible ({' '.join(str(problem).split())[:150]})"
    kind = "atom" if version.startswith("atom") else "rss"
    return Feed(url, kind, outlet, tuple(links.items), (), tuple(links.skipped), warning)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Any, name: str) -> Any:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _text(el: Any) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def parse_sitemap(data: bytes, *, url: str) -> Feed:
    """A sitemap <urlset> (with Google News <news:news> details when present) or a <sitemapindex>."""
    from lxml import etree

    warning = ""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        recovering = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
        root = etree.fromstring(data, recovering)
        if root is None:
            raise InputError(url, f"bad sitemap XML ({exc})") from None
        warning = f"malformed sitemap, read as far as possible ({exc})"
    kind = _local(root.tag)
    links = _Links(url)
    if kind == "sitemapindex":
        children = [_text(_child(el, "loc")) for el in root if _local(el.tag) == "sitemap"]
        good = [c for c in children if c.startswith(("http://", "https://"))]
        skipped = [Skipped(f"sitemap {i}", "no http(s) <loc>") for i, c in enumerate(children, 1)
                   if not c.startswith(("http://", "https://"))]
        if len(good) > MAX_CHILD_SITEMAPS:
            skipped.append(Skipped("index", f"{len(good) - MAX_CHILD_SITEMAPS} sitemaps over the "
                                   f"{MAX_CHILD_SITEMAPS}-sitemap limit not read"))
        return Feed(url, "sitemap-index", "", (), tuple(good[:MAX_CHILD_SITEMAPS]), tuple(skipped), warning)
    if kind != "urlset":
        raise InputError(url, f"not a sitemap (root element <{kind}>)")
    n = 0
    for el in root:
        if _local(el.tag) != "url":
            continue
        n += 1
        where = f"url {n}"
        loc = _text(_child(el, "loc"))
        news = _child(el, "news")
        if news is not None:
            publication = _child(news, "publication")
            links.add(where, loc, title=_text(_child(news, "title")),
                      published=_text(_child(news, "publication_date")) or None,
                      outlet=_text(_child(publication, "name")) if publication is not None else "",
                      language=_text(_child(publication, "language")) if publication is not None else "")
        else:
            links.add(where, loc, published=_text(_child(el, "lastmod")) or None)
    return Feed(url, "sitemap", "", tuple(links.items), (), tuple(links.skipped), warning)


def read_feed(url: str, *, fetcher: Any = None, refresh: bool = True) -> Feed:
    """Fetch and parse a feed or sitemap; a sitemap index is followed one level (children merged).

    `refresh` (default) asks the server again, with the cached ETag, so a changed feed is seen.
    A child sitemap that cannot be read becomes a skipped entry; the rest are still read.
    """
    from storydiff.ingest.fetch import FetchError, default_fetcher

    fetcher = fetcher or default_fetcher()
    page = fetcher.fetch(url, refresh=refresh, max_bytes=MAX_SITEMAP_BYTES)
    feed = replace(parse_feed(page.body, url=page.final_url), url=url)
    if page.truncated:
        feed = replace(feed, warning=f"cut at {MAX_SITEMAP_BYTES} bytes; read as far as possible")
    if feed.kind != "sitemap-index":
        return feed
    items: list[FeedItem] = []
    skipped = list(feed.skipped)
    seen: set[str] = set()
    for child in feed.sitemaps:
        try:
            sub = parse_feed(fetcher.fetch(child, refresh=refresh, max_bytes=MAX_SITEMAP_BYTES).body, url=child)
        except (FetchError, InputError) as exc:
            skipped.append(Skipped(child, exc.reason))
            continue
        if sub.kind == "sitemap-index":
            skipped.append(Skipped(child, "nested sitemap index not followed"))
            continue
        skipped += [Skipped(f"{child} {s.where}", s.reason) for s in sub.skipped]
        for item in sub.items:
            if item.url not in seen:
                seen.add(item.url)
                items.append(item)
    return replace(feed, items=tuple(items), skipped=tuple(skipped))


__all__ = ["Feed", "FeedItem", "Skipped", "is_sitemap", "parse_feed", "parse_sitemap", "read_feed"]
