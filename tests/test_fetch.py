"""The polite fetcher against a local server: cache, robots.txt, timeouts, errors, size cap, redirects, rate."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from _webserver import article_html, serve
from storydiff.ingest.fetch import Fetcher, FetchError, FetchOptions, is_url, normalize_url

FAST = 0.02  # seconds between requests to one host in tests that do not measure politeness


@pytest.fixture()
def server():
    with serve() as srv:
        srv.page("/robots.txt", "User-agent: storydiff\nDisallow: /private/\n\nUser-agent: *\nDisallow:\n",
                 "text/plain")
        srv.page("/news/harbour.html", article_html("Harbour crane topples in gale", [
            "A crane at the Port of Vessby toppled during a gale on Tuesday night.",
            "No one was hurt, the harbour master Ilse Brandt said."]), ETag='"v1"')
        srv.page("/private/draft.html", article_html("Draft", ["Not for robots."]))
        yield srv


def fetcher(tmp_path, **changes) -> Fetcher:
    return Fetcher(FetchOptions(cache_dir=tmp_path / "cache", min_interval=FAST, **changes))


def test_fetch_names_storydiff_and_reads_the_page(server, tmp_path):
    with fetcher(tmp_path) as f:
        page = f.fetch(server.url("/news/harbour.html"))
    assert page.status == 200 and not page.from_cache and not page.truncated
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert "Port of Vessby" in page.text()
    ua = server.hits_for("/news/harbour.html")[0].headers["user-agent"]
    assert ua.startswith("storydiff/")


def test_second_run_reads_the_cache_and_refresh_revalidates(server, tmp_path):
    url = server.url("/news/harbour.html")
    with fetcher(tmp_path) as f:
        f.fetch(url)
    with fetcher(tmp_path) as f:  # a re-run: a new fetcher over the same cache folder
        again = f.fetch(url)
        assert again.from_cache and "Port of Vessby" in again.text()
        assert f.requests == 0
    assert len(server.hits_for("/news/harbour.html")) == 1
    with fetcher(tmp_path, refresh=True) as f:
        f.fetch(url)
    assert len(server.hits_for("/news/harbour.html")) == 2
    assert server.hits_for("/news/harbour.html")[1].headers.get("if-none-match") == '"v1"'
    assert len(server.hits_for("/robots.txt")) == 1  # robots.txt is cached for a day, across fetchers


def test_not_modified_keeps_the_cached_body(server, tmp_path):
    url = server.url("/feed.xml")
    server.page("/feed.xml", "<rss/>", "application/rss+xml", ETag='"f1"')
    with fetcher(tmp_path) as f:
        f.fetch(url)
        server.page("/feed.xml", b"", "application/rss+xml", status=304, ETag='"f1"')
        page = f.fetch(url, refresh=True)
    assert page.not_modified and page.body == b"<rss/>"


def test_robots_disallow_is_respected(server, tmp_path):
    with fetcher(tmp_path) as f, pytest.raises(FetchError, match="blocked by .*robots.txt") as err:
        f.fetch(server.url("/private/draft.html"))
    assert not err.value.transient
    assert server.hits_for("/private/draft.html") == []
    assert str(err.value).startswith(server.url("/private/draft.html") + ": ")


def test_robots_redirect_is_followed(tmp_path):
    with serve() as srv, fetcher(tmp_path) as f:
        srv.page("/robots.txt", b"", status=301, Location="/real-robots.txt")
        srv.page("/real-robots.txt", "User-agent: *\nDisallow: /drafts/\n", "text/plain")
        srv.page("/drafts/a.html", article_html("A", ["Text."]))
        with pytest.raises(FetchError, match="blocked by"):
            f.fetch(srv.url("/drafts/a.html"))


def test_missing_robots_allows_everything(tmp_path):
    with serve() as srv, fetcher(tmp_path) as f:
        srv.page("/a.html", article_html("A", ["Text."]))
        assert f.fetch(srv.url("/a.html")).status == 200


def test_robots_crawl_delay_lengthens_the_interval(tmp_path):
    with serve() as srv, fetcher(tmp_path) as f:
        srv.page("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")  # whole seconds only
        for n in range(2):
            srv.page(f"/p{n}.html", article_html("P", ["Text."]))
            f.fetch(srv.url(f"/p{n}.html"))
        times = [h.at for h in srv.hits if h.path.startswith("/p")]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.98


def test_timeout_is_reported_as_transient(server, tmp_path):
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    server.routes["/slow.html"] = slow
    started = time.monotonic()
    with fetcher(tmp_path, read_timeout=0.2) as f, pytest.raises(FetchError, match="timed out") as err:
        f.fetch(server.url("/slow.html"))
    assert err.value.transient and time.monotonic() - started < 0.9


def test_404_and_500_are_named(server, tmp_path):
    server.page("/broken.html", "oops", "text/plain", status=503)
    with fetcher(tmp_path) as f:
        with pytest.raises(FetchError, match="HTTP 404 Not Found") as err:
            f.fetch(server.url("/gone.html"))
        assert not err.value.transient and err.value.status == 404
        with pytest.raises(FetchError, match="HTTP 503") as err:
            f.fetch(server.url("/broken.html"))
        assert err.value.transient


def test_bad_urls_and_refused_connections(tmp_path):
    with fetcher(tmp_path) as f:
        with pytest.raises(FetchError, match="not an http"):
            f.fetch("ftp://example.invalid/a.html")
        with pytest.raises(FetchError, match="cannot read .*robots.txt|cannot connect") as err:
            f.fetch("http://127.0.0.1:9/a.html")  # the discard port: nothing listens
        assert err.value.transient


def test_twenty_megabyte_page_is_cut_at_the_cap(server, tmp_path):
    total = 20_000_000

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        chunk = b"<p>" + b"word " * 200 + b"</p>\n"
        sent = 0
        try:
            while sent < total:
                piece = chunk[: total - sent]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass
        finally:
            server.sent["/huge.html"] = sent

    server.routes["/huge.html"] = huge
    cap = 1_000_000
    started = time.monotonic()
    with fetcher(tmp_path, max_bytes=cap) as f:
        page = f.fetch(server.url("/huge.html"))
    elapsed = time.monotonic() - started
    assert page.truncated and len(page.body) == cap
    assert elapsed < 5
    deadline = time.monotonic() + 3
    while "/huge.html" not in server.sent and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.sent["/huge.html"] < total  # the client hung up: the rest was never sent
    with fetcher(tmp_path, max_bytes=cap) as f:
        assert f.fetch(server.url("/huge.html")).truncated  # the cache remembers the cut


def test_redirects_are_followed_within_a_limit_and_loops_reported(server, tmp_path):
    server.page("/old.html", b"", status=301, Location="/news/harbour.html")
    server.page("/loop-a", b"", status=302, Location="/loop-b")
    server.page("/loop-b", b"", status=302, Location=server.url("/loop-a"))
    for n in range(8):
        server.page(f"/hop{n}", b"", status=302, Location=f"/hop{n + 1}")
    with fetcher(tmp_path) as f:
        page = f.fetch(server.url("/old.html"))
        assert page.final_url == server.url("/news/harbour.html") and "Vessby" in page.text()
        with pytest.raises(FetchError, match=r"redirect loop \(.*loop-a -> .*loop-b -> .*loop-a\)"):
            f.fetch(server.url("/loop-a"))
        with pytest.raises(FetchError, match="more than 3 redirects"):
            Fetcher(FetchOptions(cache_dir=tmp_path / "c2", min_interval=FAST, max_redirects=3)).fetch(
                server.url("/hop0"))
    assert len(server.hits_for("/loop-a")) == 1


def test_rate_limit_holds_per_host_and_across_threads(server, tmp_path):
    interval = 0.25
    for n in range(4):
        server.page(f"/r{n}.html", article_html(f"R{n}", ["Text."]))
    f = Fetcher(FetchOptions(cache_dir=tmp_path / "cache", min_interval=interval))
    urls = [server.url(f"/r{n}.html", host) for n in range(4) for host in ("127.0.0.1", "localhost")]
    threads = [threading.Thread(target=f.fetch, args=(u,)) for u in urls]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    elapsed = time.monotonic() - started
    f.close()
    per_host: dict[str, list[float]] = {}
    for hit in server.hits:
        per_host.setdefault(hit.host.split(":")[0], []).append(hit.at)
    assert set(per_host) == {"127.0.0.1", "localhost"}
    for _host, times in per_host.items():
        assert len(times) == 5  # robots.txt and four pages
        gaps = [b - a for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]
        assert min(gaps) >= interval - 0.01, gaps
    assert elapsed < 5 * interval + 1.0  # the two hosts were served side by side


def test_url_helpers():
    assert is_url("https://a.example/x") and is_url("HTTP://a.example") and not is_url("a/b.html")
    assert normalize_url("HTTPS://A.Example/x?q=1#frag") == "https://a.example/x?q=1"


def test_read_article_takes_a_url_even_after_pathlib(server, tmp_path):
    from pathlib import Path

    from storydiff.ingest import fetch as fetch_module
    from storydiff.ingest.readers import read_article

    fetch_module.configure(cache_dir=tmp_path / "cache", min_interval=FAST)
    try:
        url = server.url("/news/harbour.html")
        art = read_article(Path(url), published="2031-02-03")  # compare's load_inputs wraps inputs in Path
        assert art.source == url and art.url == url and "Port of Vessby" in art.body
        assert art.published == "2031-02-03"
        server.page("/logo.png", b"\x89PNG", "image/png")
        with pytest.raises(FetchError, match="not a web page"):
            read_article(server.url("/logo.png"))
    finally:
        fetch_module.configure(cache_dir=None, min_interval=1.0)


def test_extract_command_reads_urls_and_reports_failures(server, tmp_path, capsys):
    from storydiff.cli import main
    from storydiff.ingest import fetch as fetch_module

    fetch_module.configure(cache_dir=tmp_path / "cache", min_interval=FAST)
    try:
        code = main(["extract", server.url("/news/harbour.html"), server.url("/gone.html"), "--refresh"])
    finally:
        fetch_module.configure(cache_dir=None, min_interval=1.0, refresh=False)
    out, err = capsys.readouterr()
    assert code == 2 and "Port of Vessby" in out
    assert f"storydiff: error: {server.url('/gone.html')}: HTTP 404 Not Found" in err


def test_rate_limit_holds_across_fetchers_sharing_a_cache(server, tmp_path):
    """Separate fetchers (as in separate processes, e.g. ingest's workers) share the per-host limit."""
    interval = 0.2
    for n in range(6):
        server.page(f"/w{n}.html", article_html(f"W{n}", ["Text."]))
    fetchers = [Fetcher(FetchOptions(cache_dir=tmp_path / "cache", min_interval=interval)) for _ in range(3)]
    threads = [threading.Thread(target=fetchers[n % 3].fetch, args=(server.url(f"/w{n}.html"),)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    times = sorted(h.at for h in server.hits if h.path.startswith("/w"))
    assert len(times) == 6
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= interval - 0.01


def test_page_charset_from_meta_when_the_header_names_none(server, tmp_path):
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            "<title>Кран упал</title></head><body><p>Кран в порту Вессбю упал во время шторма.</p></body></html>")
    server.page("/ru.html", html.encode("cp1251"), "text/html")
    with fetcher(tmp_path) as f:
        assert "Кран в порту Вессбю" in f.fetch(server.url("/ru.html")).text()


def test_public_only_refuses_private_hosts_at_every_hop(server, tmp_path):
    with fetcher(tmp_path) as f, pytest.raises(FetchError, match=r"into a private network \(127.0.0.1 is 127.0.0.1\)"):
        f.fetch(server.url("/news/harbour.html"), public_only=True)
    assert server.hits == []
