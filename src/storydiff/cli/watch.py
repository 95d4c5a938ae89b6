"""`storydiff watch FEED_OR_SITEMAP...`: follow outlets' feeds into the store and print each change."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLE = """example:
  storydiff watch https://lantern.example/rss.xml https://courier.example/news-sitemap.xml --every 15m
  storydiff watch feeds.txt --once --db news.duckdb --outlets outlets.toml   # one round, for cron"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the watch command."""
    p = sub.add_parser(
        "watch", help="follow RSS/Atom feeds and news sitemaps into the store, printing each change",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Every round: read the feeds, fetch the new links (politely, through the fetch cache), "
        "ingest them and print what changed: a new story, a story grown (new outlet, what its report adds "
        "or contradicts), a copy found. Ctrl-C stops cleanly; a restart fetches nothing twice and loses "
        "nothing. A FEED argument may also be a text file listing feed URLs, one a line.",
    )
    p.add_argument("feeds", nargs="+", metavar="FEED_OR_SITEMAP", help="feed or sitemap URLs (or files of them)")
    p.add_argument("--every", default="15m", metavar="DURATION", help="time between rounds: 90s, 15m, 2h (default: 15m)")
    p.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    p.add_argument("--db", metavar="PATH", default=None, help="store file (default: $STORYDIFF_DB, else ./storydiff.duckdb)")
    p.add_argument("--outlets", metavar="FILE", help="outlets.toml or .csv: names, countries, languages, your labels")
    p.add_argument("--json", action="store_true", help="print each change as a JSON line")
    p.add_argument("--no-compare", action="store_true", help="do not compare a new report with the story's earlier ones")
    p.add_argument("--cache", metavar="DIR", help="fetch cache folder (default: $STORYDIFF_CACHE, else ~/.cache/storydiff/http)")
    p.add_argument("--min-interval", type=float, default=None, metavar="SECONDS",
                   help="seconds between two requests to one host (default: 1)")
    p.set_defaults(func=run)


def _feed_urls(args: list[str]) -> list[str]:
    from pathlib import Path

    from storydiff.errors import UsageError
    from storydiff.ingest.fetch import is_url

    urls: list[str] = []
    for arg in args:
        if is_url(arg):
            urls.append(arg)
            continue
        path = Path(arg)
        if not path.is_file():
            raise UsageError(f"{arg}: not an http(s) URL nor a file listing feed URLs")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line and not is_url(line):
                raise UsageError(f"{arg}:{n}: not an http(s) URL: {line[:80]!r}")
            if line:
                urls.append(line)
    return urls


def run(args: argparse.Namespace) -> int:
    """Run rounds until Ctrl-C (or one round with --once)."""
    import signal
    import time
    from dataclasses import replace
    from pathlib import Path

    from storydiff.errors import UsageError
    from storydiff.ingest import fetch
    from storydiff.outlets import load_outlets
    from storydiff.store import Store
    from storydiff.watch import Change, RoundResult, Watcher, WatchOptions, parse_every

    try:
        every = parse_every(args.every)
    except Exception as exc:  # noqa: BLE001 - InputError names the option
        raise UsageError(str(exc)) from None
    if args.min_interval is not None and args.min_interval < 0:
        raise UsageError("--min-interval must be 0 or more")
    feeds = _feed_urls(args.feeds)
    changes: dict[str, object] = {}
    if args.cache:
        changes["cache_dir"] = Path(args.cache)
    if args.min_interval is not None:
        changes["min_interval"] = args.min_interval
    if changes:
        fetch.configure(**changes)
    outlets = load_outlets(args.outlets) if args.outlets else None
    store = Store(args.db)

    def show(change: Change) -> None:
        if args.json:
            print(json.dumps(change.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(f"{time.strftime('%H:%M:%S')} {change.line()}", flush=True)

    def summary(result: RoundResult) -> None:
        nxt = "" if args.once else f"; next round at {time.strftime('%H:%M:%S', time.localtime(time.time() + every))}"
        print(f"storydiff: round done: {result.feeds} feeds, {result.links} links, {result.new_links} new, "
              f"{result.fetched} requests, {result.added} articles added ({result.seconds:.1f} s){nxt}",
              file=sys.stderr, flush=True)

    watcher = Watcher(feeds, store, replace(WatchOptions(), every=every, compare=not args.no_compare),
                      outlets=outlets, on_change=show)

    def stop(signum: int, frame: object) -> None:
        if watcher.stopping:  # a second Ctrl-C: quit now (an open transaction is rolled back)
            raise KeyboardInterrupt
        watcher.stop()
        print("storydiff: stopping after the current step (Ctrl-C again to quit now)", file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.run(once=args.once, on_round=summary)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if watcher.stopping:
        print("storydiff: watch stopped (the store is consistent; run it again to carry on)", file=sys.stderr)
    return 0
