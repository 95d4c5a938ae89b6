"""`watch` against a local server whose feed grows over three rounds, with restarts between rounds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from _webserver import FIXTURES, serve
from storydiff.ingest import fetch as fetch_module
from storydiff.ingest import pipeline
from storydiff.ingest.pipeline import Placement
from storydiff.model import Article
from storydiff.outlets import load_outlets
from storydiff.store import Store
from storydiff.watch import Change, Watcher, WatchOptions, parse_every

INTERVAL = 0.05  # seconds between requests to one host (small, so the test is quick)

ROUNDS = [
    [("/news/crane-lantern.html", "Harbour crane topples in gale at Vessby", "Wed, 05 Mar 2031 06:00:00 GMT")],
    [("/news/crane-courier.html", "Vessby port crane falls as storm hits coast", "Wed, 05 Mar 2031 08:30:00 GMT"),
     ("/news/ferry-post.html", "Ferry crews in Sarn Valley vote to strike", "Wed, 05 Mar 2031 09:00:00 GMT")],
    [("/news/crane-bugle.html", "Harbour crane topples in gale at Vessby", "Wed, 05 Mar 2031 10:00:00 GMT"),
     ("/news/withdrawn.html", "A withdrawn article", "Wed, 05 Mar 2031 10:05:00 GMT"),
     ("/news/gallery.html", "Storm pictures", "Wed, 05 Mar 2031 10:10:00 GMT")],
]


class KeywordPlacer:
    """A deterministic stand-in for the stories stage: one story per topic word, copies by identical body.

    Rebuilt from the store when created, as a restarted process would be.
    """

    TOPICS = ("crane", "ferry")

    def __init__(self, store: Store) -> None:
        self.bodies: dict[str, str] = {}
        for stored in store.articles():
            if stored.duplicate_of is None:
                self.bodies.setdefault(self._key(stored.article), stored.article.id)

    @staticmethod
    def _key(article: Article) -> str:
        return " ".join(article.body.split())

    def place(self, article: Article) -> Placement:
        topic = next((t for t in self.TOPICS if t in article.title.lower()), article.id)
        original = self.bodies.get(self._key(article))
        if original is not None:
            return Placement(f"s-{topic}", duplicate_of=original, similarity=1.0)
        self.bodies[self._key(article)] = article.id
        return Placement(f"s-{topic}")

    def state(self) -> dict[str, bytes]:
        return {}


def _rss(items: list[tuple[str, str, str]], srv) -> str:
    rows = "".join(f"<item><title>{t}</title><link>{srv.url(p)}</link><pubDate>{d}</pubDate></item>"
                   for p, t, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Vessby wire</title>{rows}</channel></rss>'


@dataclass
class Site:
    srv: object
    items: list

    def grow(self, n: int) -> None:
        """Publish round n's items (the feed keeps the earlier ones, like a real feed)."""
        self.srv.page("/news/gallery.html", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
        for path, _, _ in ROUNDS[n]:
            name = path.rsplit("/", 1)[1]
            if (FIXTURES / name).exists():
                self.srv.page(path, (FIXTURES / name).read_bytes())
        self.items = ROUNDS[n] + self.items
        self.srv.page("/feed.rss", _rss(self.items, self.srv), "application/rss+xml")


@pytest.fixture()
def site(tmp_path):
    with serve() as srv:
        srv.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        fetch_module.configure(cache_dir=tmp_path / "cache", min_interval=INTERVAL)
        yield Site(srv, [])
        fetch_module.configure(cache_dir=None, min_interval=1.0)


def _restart(db) -> tuple[Watcher, list[Change], Store]:
    """A fresh watcher, store handle and fetcher over the same files: what a restarted process has."""
    fetch_module.configure(min_interval=INTERVAL)  # drops the old fetcher (robots and rate state)
    store = Store(db)
    changes: list[Change] = []
    watcher = Watcher([_feed_url], store, WatchOptions(every=0.01),
                      outlets=load_outlets(FIXTURES / "outlets.toml"),
                      placer_factory=KeywordPlacer, on_change=changes.append)
    return watcher, changes, store


_feed_url = ""


def test_feed_grows_over_three_rounds_with_restarts(site, tmp_path):
    global _feed_url
    _feed_url = site.srv.url("/feed.rss")
    db = tmp_path / "watch.duckdb"
    page_paths = [p for r in ROUNDS for p, _, _ in r]

    # round 1: the first report of the crane story
    site.grow(0)
    watcher, changes, store = _restart(db)
    result = watcher.run_round()
    assert [(c.kind, c.story_id, c.outlet) for c in changes] == [("new-story", "s-crane", "The Vessby Lantern")]
    assert result.new_links == 1 and result.added == 1
    assert store.counts()["articles"] == 1

    # round 2 (after a restart): a second outlet reports the crane story, and a new story starts
    site.grow(1)
    watcher, changes, store = _restart(db)
    watcher.run_round()
    kinds = [(c.kind, c.story_id, c.outlet) for c in changes]
    assert kinds == [("story-grown", "s-crane", "The Sarn Courier"), ("new-story", "s-ferry", "Sarn Valley Post")]
    grown = changes[0]
    assert grown.new_outlet
    assert any("installed in 2019" in s for s in grown.adds)
    assert "40 workers (The Vessby Lantern) vs 45 workers (The Sarn Courier)" in grown.contradicts
    assert "lean centre 1/1, right 1/1, left 0/1" in grown.coverage[0]
    assert "contradicts:" in grown.line() and grown.line().startswith("story grown  [s-crane] new outlet")
    assert {s.id: s.reports for s in store.stories()} == {"s-crane": 2, "s-ferry": 1}

    # round 3 (after a restart): a syndicated copy, and a link that is gone
    site.grow(2)
    watcher, changes, store = _restart(db)
    watcher.run_round()
    by_kind = {c.kind: c for c in changes}
    assert set(by_kind) == {"copy", "skipped"}
    skipped = {c.url.rsplit("/", 1)[1]: c.reason for c in changes if c.kind == "skipped"}
    assert skipped["withdrawn.html"] == "HTTP 404 Not Found"
    assert skipped["gallery.html"].startswith("no article")
    copy = by_kind["copy"]
    assert copy.story_id == "s-crane" and copy.original.startswith("The Vessby Lantern: Harbour crane")
    assert "reprints The Vessby Lantern" in copy.line()
    assert copy.coverage[0].endswith("not in the outlets file: The Weekly Bugle")
    rows = store.articles()
    assert len(rows) == 4 and sum(r.duplicate_of is not None for r in rows) == 1
    assert {s.id: (s.articles, s.reports) for s in store.stories()} == {"s-crane": (3, 2), "s-ferry": (1, 1)}

    # round 4 (after a restart): nothing new; no page is fetched again, nothing is duplicated
    watcher, changes, store = _restart(db)
    result = watcher.run_round()
    assert changes == [] and result.new_links == 0 and result.added == 0
    for path in page_paths:
        assert len(site.srv.hits_for(path)) == 1, path
    assert store.counts()["articles"] == 4

    # politeness: no two requests to the server closer than the interval
    times = sorted(h.at for h in site.srv.hits)
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= INTERVAL - 0.005


def test_a_round_killed_after_fetching_loses_and_refetches_nothing(site, tmp_path, monkeypatch):
    global _feed_url
    _feed_url = site.srv.url("/feed.rss")
    db = tmp_path / "watch.duckdb"
    site.grow(0)
    site.grow(1)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    watcher, changes, store = _restart(db)
    monkeypatch.setattr(pipeline, "ingest", killed)
    with pytest.raises(KeyboardInterrupt):
        watcher.run_round()
    monkeypatch.undo()
    assert store.counts()["articles"] == 0
    fetched = {p: len(site.srv.hits_for(p)) for p, _, _ in ROUNDS[0] + ROUNDS[1]}
    assert set(fetched.values()) == {1}

    watcher, changes, store = _restart(db)
    watcher.feeds.append(site.srv.url("/no-such-feed.xml"))  # a broken feed does not stop the others
    result = watcher.run_round()
    assert result.added == 3 and result.fetched == 2  # the two feeds; robots.txt and pages came from the cache
    assert sorted(c.kind for c in changes) == ["feed-error", "new-story", "new-story", "story-grown"]
    assert changes[0].line().startswith("feed error   http://127.0.0.1:") and "HTTP 404" in changes[0].line()
    for path, count in fetched.items():
        assert len(site.srv.hits_for(path)) == count


def test_parse_every():
    assert parse_every("15m") == 900 and parse_every("1h30m") == 5400 and parse_every("90") == 90
    assert parse_every("250ms") == 0.25
    with pytest.raises(Exception, match="not a duration"):
        parse_every("soon")


def test_watch_command_stops_cleanly_on_ctrl_c(site, tmp_path):
    site.grow(0)
    env = {**os.environ, "STORYDIFF_CACHE": str(tmp_path / "cli-cache"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "storydiff", "watch", site.srv.url("/feed.rss"), "--every", "0.2s",
           "--db", str(tmp_path / "cli.duckdb"), "--min-interval", str(INTERVAL), "--no-compare"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()  # the first change line arrives after round 1
        assert "new story" in first and "Harbour crane topples" in first
        deadline = time.monotonic() + 20
        while len(site.srv.hits_for("/feed.rss")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # wait for a second round
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "watch stopped" in err and "round done" in err
    assert len(site.srv.hits_for("/news/crane-lantern.html")) == 1
    again = subprocess.run([*cmd, "--once", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0 and again.stdout == ""  # nothing new after the restart


def test_feed_arguments_may_be_files_of_urls(tmp_path):
    from storydiff.cli.watch import _feed_urls
    from storydiff.errors import UsageError

    listing = tmp_path / "feeds.txt"
    listing.write_text("# my outlets\nhttps://lantern.example/rss.xml\n\nhttps://courier.example/sitemap.xml  # news\n")
    assert _feed_urls(["https://post.example/atom", str(listing)]) == [
        "https://post.example/atom", "https://lantern.example/rss.xml", "https://courier.example/sitemap.xml"]
    listing.write_text("lantern.example/rss.xml\n")
    with pytest.raises(UsageError, match=r"feeds.txt:1: not an http\(s\) URL"):
        _feed_urls([str(listing)])
    with pytest.raises(UsageError, match="not an http"):
        _feed_urls(["no-such-file.txt"])


def test_a_public_feed_may_not_send_the_watcher_into_a_private_network():
    from storydiff.ingest.fetch import private_address
    from storydiff.watch import _refused

    cache: dict[str, str | None] = {}
    assert private_address("127.0.0.1") == "127.0.0.1" and private_address("10.1.2.3") == "10.1.2.3"
    assert private_address("93.184.216.34") is None
    public_feed = "http://93.184.216.34/rss.xml"
    assert "private network (169.254.169.254 is 169.254.169.254)" in _refused(
        public_feed, "http://169.254.169.254/latest/meta-data/", cache)
    assert _refused(public_feed, "http://192.168.1.1/admin", cache)
    assert _refused(public_feed, "http://93.184.216.35/news/1.html", cache) == ""
    assert _refused("http://127.0.0.1:8000/rss.xml", "http://10.0.0.7/intranet-news", cache) == ""  # your own feed


def test_watch_reads_a_news_sitemap(site, tmp_path):
    global _feed_url
    srv = site.srv
    for name in ("crane-lantern.html", "ferry-post.html"):
        srv.page(f"/news/{name}", (FIXTURES / name).read_bytes())
    rows = "".join(
        f"<url><loc>{srv.url('/news/' + name)}</loc><news:news><news:publication><news:name>Wire</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>2031-03-05</news:publication_date>"
        f"<news:title>{name}</news:title></news:news></url>" for name in ("crane-lantern.html", "ferry-post.html"))
    srv.page("/news-sitemap.xml", '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{rows}</urlset>', "application/xml")
    _feed_url = srv.url("/news-sitemap.xml")
    watcher, changes, store = _restart(tmp_path / "s.duckdb")
    result = watcher.run_round()
    assert result.added == 2 and [c.kind for c in changes] == ["new-story", "new-story"]
    assert {a.article.published[:10] for a in store.articles()} == {"2031-03-05"}  # the sitemap's date
