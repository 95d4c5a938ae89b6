"""Watch outlets' feeds and sitemaps: each round fetches the new links, ingests them into the store and
reports what changed — a new story, a story grown (a new outlet, and what its report adds or
contradicts), a copy found.

Safe to stop and restart at any point. A link is new until the store holds its article (ingest
records every URL it read) or until watch has marked it skipped for a lasting reason (404, robots.txt,
no article text); pages come from the fetch cache, so a link fetched before a crash is not fetched
again, and a batch interrupted mid-ingest is rolled back and redone. Passing failures (timeouts, 5xx)
are retried in the next round.

Pages are fetched with the shared fetcher (`storydiff.ingest.fetch.default_fetcher`, set up with
`configure`), so the per-host rate limit and the cache are the ones ingest reads through.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from storydiff.errors import InputError, StoreError, StorydiffError
from storydiff.ingest.feeds import FeedItem, read_feed
from storydiff.ingest.fetch import FetchError, default_fetcher, private_address
from storydiff.ingest.sources import InputFailure, RawInput, iter_inputs
from storydiff.model import Article, _Plain
from storydiff.outlets import Outlets
from storydiff.store import Batch, Store, StoredArticle

# --- tuning constants -------------------------------------------------------------------------
DEFAULT_EVERY_S = 15 * 60.0  # seconds between two rounds
MAX_NEW_PER_FEED = 200  # new links taken from one feed per round (the rest wait for the next round)
COMPARE_WITH = 3  # earlier reports of a story a new report is compared with
MAX_ADDS = 2  # sentences quoted as what a new report adds
MAX_CONTRADICTIONS = 3  # differences quoted as what a new report contradicts
QUOTE_CHARS = 160  # characters of a sentence shown in a change line
SKIP_PREFIX = "watch-skip:"  # input hashes of links skipped for good (kept in the store's inputs table)

Placer = Any  # storydiff.ingest.pipeline.Placer (imported lazily: ingest starts no pool here)


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """Options of `watch`."""

    every: float = DEFAULT_EVERY_S  # seconds between rounds
    max_new_per_feed: int = MAX_NEW_PER_FEED
    compare: bool = True  # compare a report that grows a story with the story's earlier reports
    use_model: bool = False  # spaCy for that comparison (slower); the rule-based analysis by default


@dataclass(frozen=True, slots=True)
class Change(_Plain):
    """One thing a round found."""

    kind: str  # new-story | story-grown | copy | skipped | retry | feed-error | store-error
    story_id: str = ""
    article_id: str = ""
    outlet: str = ""
    title: str = ""
    url: str = ""
    new_outlet: bool = False  # story-grown: the outlet had not reported this story before
    original: str = ""  # copy: the outlet (and title) of the report it reprints
    similarity: float | None = None
    adds: tuple[str, ...] = ()  # story-grown: sentences no earlier report has
    contradicts: tuple[str, ...] = ()  # story-grown: differences with earlier reports
    coverage: tuple[str, ...] = ()  # coverage of the story by the labels of the user's outlets file
    reason: str = ""  # skipped / retry / feed-error

    def line(self) -> str:
        """The change as one readable line (details indented below it)."""
        head = f"{self.outlet or '?'}: {_clip(self.title) or self.url}"
        if self.kind == "new-story":
            text = f"new story    [{self.story_id}] {head}"
        elif self.kind == "story-grown":
            who = "new outlet " if self.new_outlet else ""
            text = f"story grown  [{self.story_id}] {who}{head}"
            text += "".join(f"\n    adds: {_clip(s)}" for s in self.adds)
            text += "".join(f"\n    contradicts: {_clip(s)}" for s in self.contradicts)
        elif self.kind == "copy":
            sim = f", similarity {self.similarity:.2f}" if self.similarity is not None else ""
            text = f"copy found   [{self.story_id}] {head} reprints {self.original}{sim}"
        elif self.kind == "retry":
            text = f"will retry   {self.url}: {self.reason}"
        elif self.kind == "feed-error":
            text = f"feed error   {self.url}: {self.reason}"
        elif self.kind == "store-error":
            text = f"store error  {self.reason} (trying again next round)"
        else:
            text = f"skipped      {self.url}: {self.reason}"
        text += "".join(f"\n    coverage: {c}" for c in self.coverage)
        return text


@dataclass(frozen=True, slots=True)
class RoundResult(_Plain):
    """What one round did."""

    feeds: int = 0
    links: int = 0  # links listed by the feeds
    new_links: int = 0  # links not seen before
    fetched: int = 0  # pages fetched over the network this round
    added: int = 0  # articles added to the store
    changes: tuple[Change, ...] = ()
    seconds: float = 0.0


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _skip_hash(url: str) -> str:
    return SKIP_PREFIX + hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()


def _refused(feed_url: str, link: str, cache: dict[str, str | None]) -> str:
    """Why a feed's link is not fetched: a feed on the public internet may not send storydiff into a
    private network (server-side request forgery); a feed on your own network may. "" = allowed."""
    feed_host = urlsplit(feed_url).hostname or ""
    link_host = urlsplit(link).hostname or ""
    if not link_host or link_host == feed_host or private_address(feed_host, cache):
        return ""
    addr = private_address(link_host, cache)
    if addr:
        return f"link points into a private network ({link_host} is {addr}) from a public feed; not fetched"
    return ""


def _day(item: FeedItem) -> str | None:
    """The feed's date of an item as YYYY-MM-DD (the fallback when the page carries none)."""
    if item.published and re.match(r"\d{4}-\d{2}-\d{2}", item.published):
        return item.published[:10]
    return None


class Watcher:
    """Rounds over a fixed set of feeds into one store; see the module doc for restart safety."""

    def __init__(self, feeds: Sequence[str], store: Store, options: WatchOptions | None = None, *,
                 outlets: Outlets | None = None,
                 placer_factory: Callable[[Store], Placer] | None = None,
                 on_change: Callable[[Change], None] | None = None) -> None:
        self.feeds = list(dict.fromkeys(feeds))
        self.store = store
        self.options = options or WatchOptions()
        self.outlets = outlets
        self.placer_factory = placer_factory
        self.on_change = on_change
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the watcher to stop after the current step (safe from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once `stop` was called."""
        return self._stop.is_set()

    # --- one round -----------------------------------------------------------------------------

    def run_round(self) -> RoundResult:
        """Read every feed, fetch and ingest the new links, and report the changes."""
        started = time.monotonic()
        fetcher = default_fetcher()
        requests_before = fetcher.requests
        changes: list[Change] = []
        items: dict[str, FeedItem] = {}
        refusals: list[tuple[str, str]] = []
        public_only: set[str] = set()
        resolved: dict[str, str | None] = {}  # host -> its first non-public address (this round)
        links = 0
        for feed_url in self.feeds:
            if self.stopping:
                break
            try:
                feed = read_feed(feed_url, fetcher=fetcher, refresh=True)
            except InputError as exc:
                self._emit(changes, Change("feed-error", url=feed_url, reason=exc.reason))
                continue
            links += len(feed.items)
            fresh = self._unseen([i for i in feed.items if i.url not in items])
            for item in fresh[: self.options.max_new_per_feed]:
                refused = _refused(feed_url, item.url, resolved)
                if refused:
                    refusals.append((item.url, refused))
                    self._emit(changes, Change("skipped", url=item.url, reason=refused))
                else:
                    items[item.url] = item
                    if not private_address(urlsplit(feed_url).hostname or "", resolved):
                        public_only.add(item.url)  # its redirects may not lead into a private network
        pages, skips = self._fetch_pages(list(items.values()), changes, public_only)
        skips += refusals
        added, failures = (0, []) if self.stopping else self._ingest(pages, changes)
        for failure_url, reason in failures:
            try:
                lost = fetcher.cached(failure_url) is None
            except FetchError:
                lost = False
            if lost:  # lost from the cache (and not refetched): try again next round
                self._emit(changes, Change("retry", url=failure_url, reason=reason))
                continue
            skips.append((failure_url, reason))  # the page is here and holds no article: for good
            self._emit(changes, Change("skipped", url=failure_url, reason=reason))
        if skips:
            self.store.write(Batch(inputs=[(_skip_hash(u), "", u) for u, _ in skips]))
        return RoundResult(len(self.feeds), links, len(items), fetcher.requests - requests_before, added,
                           tuple(changes), round(time.monotonic() - started, 3))

    def _emit(self, changes: list[Change], change: Change) -> None:
        changes.append(change)
        if self.on_change is not None:
            self.on_change(change)

    def _unseen(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        """Items whose link the store has neither ingested nor skipped for good."""
        hashes: dict[str, str] = {}
        for item in items:
            raw = next(iter(iter_inputs([item.url])), None)
            if isinstance(raw, RawInput):
                hashes[item.url] = raw.input_hash
        known = self.store.known_inputs([*hashes.values(), *(_skip_hash(i.url) for i in items)])
        return [i for i in items if i.url in hashes and hashes[i.url] not in known
                and _skip_hash(i.url) not in known]

    def _fetch_pages(self, items: list[FeedItem], changes: list[Change],
                     public_only: set[str]) -> tuple[list[FeedItem], list[tuple[str, str]]]:
        """Fetch each new link into the cache (politely, in this process); split off the failures."""
        fetcher = default_fetcher()
        ok: list[FeedItem] = []
        skips: list[tuple[str, str]] = []
        for item in items:
            if self.stopping:  # the rest stay unmarked: the next run fetches them
                break
            try:
                fetcher.fetch(item.url, public_only=item.url in public_only)
            except FetchError as exc:
                if exc.transient:
                    self._emit(changes, Change("retry", url=item.url, reason=exc.reason))
                else:
                    skips.append((item.url, exc.reason))
                    self._emit(changes, Change("skipped", url=item.url, reason=exc.reason))
                continue
            ok.append(item)
        return ok, skips

    def _ingest(self, items: list[FeedItem], changes: list[Change]) -> tuple[int, list[tuple[str, str]]]:
        """Ingest the fetched pages (read from the cache), oldest feed date first; report what changed."""
        from storydiff.ingest.pipeline import IngestOptions, ingest
        from storydiff.ingest.sources import SourceOptions

        if not items:
            return 0, []
        before = self._last_seq()
        failures: list[tuple[str, str]] = []

        def failed(failure: InputFailure) -> None:
            failures.append((failure.source, failure.reason))

        groups: dict[str | None, list[str]] = {}
        for item in items:
            groups.setdefault(_day(item), []).append(item.url)
        added = 0
        placer = self.placer_factory(self.store) if self.placer_factory else None
        for day in sorted(groups, key=lambda d: d or "9999"):
            options = IngestOptions(workers=1, sources=SourceOptions(published=day))
            summary = ingest(groups[day], self.store, options, placer=placer, on_failure=failed,
                             total=len(groups[day]))
            added += summary.added
        for change in self._describe(before):
            self._emit(changes, change)
        return added, failures

    # --- describing what changed ---------------------------------------------------------------

    def _last_seq(self) -> int:
        with self.store.connect() as con:
            row = con.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()
        return int(row[0]) if row else 0

    def _describe(self, before: int) -> list[Change]:
        with self.store.connect() as con:
            rows = con.execute("SELECT story_id, min(seq) FROM articles WHERE seq > ? AND story_id IS NOT NULL "
                               "GROUP BY story_id ORDER BY 2", [before]).fetchall()
        out: list[Change] = []
        for story_id, _ in rows:
            arts = self.store.articles(story_id=story_id)
            known = [a for a in arts if a.seq <= before]
            for new in (a for a in arts if a.seq > before):
                out.append(self._change(new, known, arts))
                known.append(new)
        return out

    def _outlet_name(self, art: Article) -> str:
        if self.outlets is not None:
            match = self.outlets.match(url=art.url, name=art.outlet)
            if match is not None:
                return match.name
        return art.outlet

    def _change(self, new: StoredArticle, known: list[StoredArticle], story: list[StoredArticle]) -> Change:
        art = new.article
        base: dict[str, Any] = {"story_id": new.story_id or "", "article_id": art.id,
                                "outlet": self._outlet_name(art), "title": art.title, "url": art.url}
        if self.outlets is not None and len(self.outlets):
            shown = [a.article for a in story if a.seq <= new.seq]
            base["coverage"] = (self.outlets.coverage(shown).summary(),)
        if new.duplicate_of:
            original = next((a.article for a in story if a.article.id == new.duplicate_of), None)
            label = (f"{self._outlet_name(original)}: {_clip(original.title)}" if original is not None
                     else new.duplicate_of)
            return Change("copy", original=label, similarity=new.similarity, **base)
        reports = [a for a in known if a.duplicate_of is None]
        if not reports:
            return Change("new-story", **base)
        outlets_before = {self._outlet_name(a.article) for a in known}
        adds, contradicts = self._compare(art, [a.article for a in reports[-COMPARE_WITH:]])
        return Change("story-grown", new_outlet=base["outlet"] not in outlets_before, adds=adds,
                      contradicts=contradicts, **base)

    def _compare(self, new: Article, earlier: list[Article]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the new report says that the earlier ones do not, and where it differs from them."""
        if not self.options.compare or not new.body.strip():
            return (), ()
        from storydiff.analyze import AnalyzeOptions
        from storydiff.comparison.pipeline import CompareOptions, compare_articles

        try:
            report = compare_articles([*earlier, new], CompareOptions(
                embedder="hashing", analyze=AnalyzeOptions(use_model=self.options.use_model)))
        except StorydiffError:
            return (), ()
        adds = tuple(u.text for u in report.unique if u.article == new.id)[:MAX_ADDS]
        contradicts: list[str] = []
        for alignment in report.alignments:
            if not any(ref.article == new.id for ref in alignment.sentences):
                continue
            for diff in alignment.differences:
                summary = diff.summary
                for art in (*earlier, new):  # name outlets, not article ids
                    summary = summary.replace(f"({art.id})", f"({self._outlet_name(art) or art.id})")
                if summary not in contradicts:
                    contradicts.append(summary)
        return adds, tuple(contradicts[:MAX_CONTRADICTIONS])

    # --- the loop ------------------------------------------------------------------------------

    def run(self, *, once: bool = False, rounds: int | None = None,
            on_round: Callable[[RoundResult], None] | None = None) -> int:
        """Run rounds every `options.every` seconds until `stop` (or once); return the rounds run.

        `stop` ends the run after the current step; a KeyboardInterrupt raised anywhere also leaves
        the store consistent (an interrupted ingest batch is rolled back and redone next time).
        """
        done = 0
        while not self.stopping:
            started = time.monotonic()
            try:
                result = self.run_round()
            except StoreError as exc:  # e.g. another ingest holds the store: try again next round
                result = RoundResult(changes=(Change("store-error", url=self.store.path, reason=str(exc)),))
                if self.on_change is not None:
                    self.on_change(result.changes[0])
            done += 1
            if on_round is not None:
                on_round(result)
            if once or (rounds is not None and done >= rounds):
                break
            self._stop.wait(max(0.0, self.options.every - (time.monotonic() - started)))
        return done


def parse_every(text: str) -> float:
    """'15m', '90s', '2h', '1h30m' or a number of seconds -> seconds; InputError on anything else."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)", value)
        if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
            raise InputError("--every", f"{text!r} is not a duration (use e.g. 90s, 15m, 2h, 1h30m)")
        scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        seconds = sum(float(n) * scale[u] for n, u in parts)
    if seconds <= 0:
        raise InputError("--every", "the interval must be above zero")
    return seconds


def watch(feeds: Iterable[str], store: Store, options: WatchOptions | None = None, *, once: bool = False,
          outlets: Outlets | None = None, on_change: Callable[[Change], None] | None = None) -> int:
    """Watch feeds into the store (see `Watcher`); return the number of rounds run."""
    return Watcher(list(feeds), store, options, outlets=outlets, on_change=on_change).run(once=once)


__all__ = ["Change", "RoundResult", "WatchOptions", "Watcher", "parse_every", "private_address", "watch"]
