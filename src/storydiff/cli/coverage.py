"""`storydiff coverage --outlets FILE [STORY...]`: which kinds of outlet reported each story, by your labels."""

from __future__ import annotations

import argparse
import json

EXAMPLE = """example:
  storydiff coverage --outlets outlets.toml                 # the 20 newest stories
  storydiff coverage s-crane --outlets outlets.csv --db news.duckdb --format json"""

TITLE_MAX_CHARS = 80  # characters of a story title shown


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the coverage command."""
    p = sub.add_parser(
        "coverage", help="coverage of stories by the labels of your outlets file", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="For each story: for every country, language and label in your outlets file, which of "
        "those outlets reported it and which did not. storydiff ships no ratings: every label is yours.",
    )
    p.add_argument("stories", nargs="*", metavar="STORY", help="story ids (default: the newest stories)")
    p.add_argument("--outlets", required=True, metavar="FILE", help="outlets.toml or .csv")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="stories shown without STORY (default: 20)")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="text (default) or JSON Lines")
    p.add_argument("--db", metavar="PATH", default=None, help="store file (default: $STORYDIFF_DB, else ./storydiff.duckdb)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print each story's coverage."""
    from storydiff.outlets import load_outlets
    from storydiff.store import Store

    outlets = load_outlets(args.outlets)
    store = Store(args.db, read_only=True)
    rows = [store.story(s) for s in args.stories] if args.stories else store.stories(limit=args.limit)
    for row in rows:
        cov = outlets.coverage(a.article for a in store.articles(story_id=row.id))
        if args.format == "json":
            print(json.dumps({"story": row.id, "title": row.title, **cov.to_dict()}, ensure_ascii=False))
            continue
        title = row.title if len(row.title) <= TITLE_MAX_CHARS else row.title[: TITLE_MAX_CHARS - 1] + "…"
        print(f"{row.id}  {title}")
        for line in cov.lines():
            print(f"  {line}")
    return 0
