"""`storydiff stories` lists the stories in the store; `storydiff story ID` compares one story's reports."""

from __future__ import annotations

import argparse
import json
import sys

from storydiff.cli.ingest import add_db_argument
from storydiff.report import FORMATS

TITLE_MAX_CHARS = 80  # characters of a story title in the listing

STORIES_EXAMPLE = """example:
  storydiff stories --search "supreme court" --since 2021-10-01
  storydiff stories --outlet Reuters --db news.duckdb --format json"""

STORY_EXAMPLE = """example:
  storydiff story s-000123
  storydiff story s-000123 --format html --output story.html"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the stories and story commands."""
    p = sub.add_parser("stories", help="list the stories in the store", epilog=STORIES_EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="List stories, newest first: id, first date, independent reports, "
                       "copies, outlets and headline. Works while an ingest is running.")
    p.add_argument("--search", metavar="TEXT", help="only stories with an article whose title or text holds TEXT")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only stories with an article published on or after DATE")
    p.add_argument("--outlet", metavar="NAME", help="only stories one of whose outlets contains NAME")
    p.add_argument("--language", metavar="CODE", help="only stories with a report in this language (ISO 639-1: en, de, ru)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="at most N stories (default: all)")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="text (default) or JSON Lines")
    add_db_argument(p)
    p.set_defaults(func=run)

    q = sub.add_parser("story", help="compare the independent reports of one story", epilog=STORY_EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Print the full comparison of one story's independent reports "
                       "(reprints are listed, not compared).")
    q.add_argument("story_id", metavar="ID", help="a story id from `storydiff stories`")
    q.add_argument("--format", "-f", choices=FORMATS, default="terminal", help="report format (default: terminal)")
    q.add_argument("--output", "-o", metavar="PATH", help="write the report here instead of standard output")
    q.add_argument("--embedder", default="auto", choices=("auto", "minilm", "model2vec", "hashing"),
                   help="sentence embedding backend (default: auto = best installed)")
    q.add_argument("--no-model", action="store_true", help="use the fast rule-based analysis instead of spaCy")
    add_db_argument(q)
    q.set_defaults(func=run_story)


def run(args: argparse.Namespace) -> int:
    """List stories."""
    from datetime import date

    from storydiff.errors import UsageError
    from storydiff.store import Store

    if args.since:
        try:
            date.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since {args.since!r} is not a date: use YYYY-MM-DD") from None
    if args.limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    store = Store(args.db, read_only=True)
    rows = store.stories(search=args.search, since=args.since, outlet=args.outlet, language=args.language,
                         limit=args.limit or None)
    out = sys.stdout
    if args.format == "json":
        for r in rows:
            out.write(json.dumps({"id": r.id, "title": r.title, "first_seen": r.first_seen,
                                  "last_seen": r.last_seen, "reports": r.reports,
                                  "copies": r.articles - r.reports, "outlets": list(r.outlet_names),
                                  "languages": list(r.languages)},
                                 ensure_ascii=False) + "\n")
        return 0
    if not rows:
        print("no stories match", file=sys.stderr)
        return 0
    width = max(len(r.id) for r in rows)
    out.write(f"{'ID':<{width}}  {'DATE':<10}  REPORTS  COPIES  LANG   OUTLETS / TITLE\n")
    for r in rows:
        title = " ".join(r.title.split())
        if len(title) > TITLE_MAX_CHARS:
            title = title[: TITLE_MAX_CHARS - 1] + "…"
        outlets = ", ".join(r.outlet_names[:4]) + (f" +{len(r.outlet_names) - 4}" if len(r.outlet_names) > 4 else "")
        day = (r.first_seen or "")[:10]
        langs = ",".join(r.languages[:2]) + ("+" if len(r.languages) > 2 else "")
        out.write(f"{r.id:<{width}}  {day:<10}  {r.reports:>7}  {r.articles - r.reports:>6}  {langs:<5}  {outlets}\n")
        out.write(f"{'':<{width}}  {'':<10}  {'':>7}  {'':>6}  {'':<5}  {title}\n")
    return 0


def run_story(args: argparse.Namespace) -> int:
    """Compare one story's independent reports and print or write the report."""
    from storydiff.analyze import AnalyzeOptions
    from storydiff.cli._output import emit_report
    from storydiff.comparison.pipeline import MAX_ARTICLES, CompareOptions, compare_articles
    from storydiff.errors import UsageError
    from storydiff.store import Store

    store = Store(args.db, read_only=True)
    story = store.story(args.story_id)
    stored = store.articles(story_id=story.id)
    reports = [s.article for s in stored if s.duplicate_of is None]
    copies = [s for s in stored if s.duplicate_of is not None]
    for c in copies:
        print(f"storydiff: {c.article.id} ({c.article.outlet or 'unknown outlet'}) reprints {c.duplicate_of}; "
              "not compared", file=sys.stderr)
    if len(reports) < 2:
        raise UsageError(f"story {story.id} has {len(reports)} independent report(s) and {len(copies)} "
                         "copies: nothing to compare")
    if len(reports) > MAX_ARTICLES:
        print(f"storydiff: story {story.id} has {len(reports)} reports; comparing the first {MAX_ARTICLES}",
              file=sys.stderr)
        reports = sorted(reports, key=lambda a: a.published or "9999")[:MAX_ARTICLES]
    options = CompareOptions(embedder=args.embedder, analyze=AnalyzeOptions(use_model=not args.no_model))
    report = compare_articles(reports, options)
    emit_report(report, args.format, args.output)
    return 0
