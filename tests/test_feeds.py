"""RSS/Atom feeds and news sitemaps, parsed from fixtures and fetched from a local server."""

from __future__ import annotations

import gzip
import time

import pytest

from _webserver import FIXTURES, serve
from storydiff.errors import InputError
from storydiff.ingest.feeds import is_sitemap, parse_feed, read_feed
from storydiff.ingest.fetch import Fetcher, FetchOptions

BASE = "https://lantern.example/feed.rss"


def test_rss_with_malformed_entries_keeps_the_good_ones_and_says_why():
    feed = parse_feed((FIXTURES / "malformed.rss").read_bytes(), url=BASE)
    assert feed.kind == "rss" and feed.title == "The Vessby Lantern"
    assert [i.url for i in feed.items] == [
        "https://lantern.example/news/crane.html",
        "https://lantern.example/news/ferry.html",  # relative link resolved against the feed
        "https://lantern.example/news/repairs.html",  # permalink guid stands in for a link
    ]
    first, ferry, repairs = feed.items
    assert first.published == "2031-03-04T20:10:00Z" and first.outlet == "The Vessby Lantern"
    assert ferry.published is None  # an unreadable date keeps the entry, without a date
    assert repairs.title == "Council & port agree on repairs" and first.language == "en-gb"
    reasons = {s.where: s.reason for s in feed.skipped}
    assert reasons == {
        "entry 2": "no link",
        "entry 3": "link is not an http(s) URL: 'javascript:alert(1)'",
        "entry 4": "same link as entry 1",
    }


def test_truncated_feed_is_read_as_far_as_possible():
    feed = parse_feed((FIXTURES / "broken.rss").read_bytes(), url="https://courier.example/rss")
    assert [i.title for i in feed.items][:2] == ["Bridge inspection ordered", "Bakers feed rescue crews"]
    assert feed.warning.startswith("malformed feed")


def test_atom_feed():
    feed = parse_feed((FIXTURES / "atom.xml").read_bytes(), url="https://post.example/atom")
    assert feed.kind == "atom"
    assert [(i.url, i.published) for i in feed.items] == [
        ("https://post.example/2031/03/crane", "2031-03-05T07:30:00Z")]
    assert [s.reason for s in feed.skipped] == ["no link"]


def test_news_sitemap_details_and_bad_urls():
    data = (FIXTURES / "news-sitemap.xml").read_bytes()
    assert is_sitemap(data)
    feed = parse_feed(data, url="https://courier.example/news-sitemap.xml")
    assert feed.kind == "sitemap"
    (item,) = feed.items
    assert item.title == "Port crane falls in storm" and item.outlet == "The Sarn Courier"
    assert item.published == "2031-03-05T08:15:00+01:00" and item.language == "en"
    assert [s.where for s in feed.skipped] == ["url 2", "url 3"]
    assert feed.skipped[0].reason == "no link" and "not an http(s) URL" in feed.skipped[1].reason


def test_not_a_feed_is_a_clear_error():
    with pytest.raises(InputError, match="https://x.example/page: not an RSS/Atom feed or sitemap"):
        parse_feed(b"<html><body><p>Just a page.</p></body></html>", url="https://x.example/page")


def test_entities_are_not_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>https://x.example/&b;</loc></url></urlset>")
    feed = parse_feed(bomb, url="https://x.example/s.xml")
    assert all("aaaaaaaaaa" not in i.url for i in feed.items)


def _sitemap(urls: list[str]) -> bytes:
    rows = "".join(f"<url><loc>{u}</loc><lastmod>2031-03-05</lastmod></url>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{rows}</urlset>").encode()


def test_sitemap_with_a_thousand_urls_over_http(tmp_path):
    with serve() as srv:
        urls = [srv.url(f"/2031/03/story-{n}.html") for n in range(1000)]
        srv.page("/sitemap.xml", _sitemap(urls), "application/xml")
        srv.page("/sitemap-index.xml",
                 f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                 f"<sitemap><loc>{srv.url('/sitemap.xml')}</loc></sitemap>"
                 f"<sitemap><loc>{srv.url('/old.xml.gz')}</loc></sitemap>"
                 f"<sitemap><loc>{srv.url('/missing.xml')}</loc></sitemap></sitemapindex>",
                 "application/xml")
        srv.page("/old.xml.gz", gzip.compress(_sitemap([srv.url("/2030/old.html"), urls[0]])),
                 "application/gzip")
        fetcher = Fetcher(FetchOptions(cache_dir=tmp_path, min_interval=0.01))
        started = time.monotonic()
        feed = read_feed(srv.url("/sitemap.xml"), fetcher=fetcher)
        elapsed = time.monotonic() - started
        assert len(feed.items) == 1000 and feed.items[999].url == urls[999]
        assert feed.items[0].published == "2031-03-05" and not feed.skipped
        assert elapsed < 2.0
        index = read_feed(srv.url("/sitemap-index.xml"), fetcher=fetcher)
        fetcher.close()
    assert index.kind == "sitemap-index" and len(index.items) == 1001  # the repeat is merged
    assert [(s.where, s.reason) for s in index.skipped] == [(srv.url("/missing.xml"), "HTTP 404 Not Found")]


def test_tracking_parameters_are_dropped_so_one_article_is_one_link():
    rss = (b'<rss version="2.0"><channel><title>T</title>'
           b"<item><link>https://a.example/n/1?utm_source=rss&amp;utm_medium=feed</link></item>"
           b"<item><link>https://a.example/n/1?utm_source=twitter</link></item>"
           b"<item><link>https://a.example/n/2?id=7&amp;fbclid=abc</link></item></channel></rss>")
    feed = parse_feed(rss, url="https://a.example/rss")
    assert [i.url for i in feed.items] == ["https://a.example/n/1", "https://a.example/n/2?id=7"]
    assert [s.reason for s in feed.skipped] == ["same link as entry 1"]
