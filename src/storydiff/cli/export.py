"""`storydiff export --format jsonl|parquet OUT`: write every table of the store to files."""

from __future__ import annotations

import argparse
import sys

from storydiff.cli.ingest import add_db_argument

EXAMPLE = """example:
  storydiff export --format parquet out/       # out/articles.parquet, out/stories.parquet, ...
  storydiff export --format jsonl dump/ --db news.duckdb"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the export command."""
    p = sub.add_parser("export", help="write the store's tables as JSON Lines or Parquet", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Write each table of the store (articles, stories, inputs, state, "
                       "schema_migrations) to OUT/<table>.<format>. OUT is a folder, created if needed.")
    p.add_argument("out", metavar="OUT", help="folder to write the files into")
    p.add_argument("--format", "-f", choices=("jsonl", "parquet"), default="jsonl",
                   help="jsonl (default) or parquet")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the tables and name each file written."""
    from storydiff.store import Store

    store = Store(args.db, read_only=True)
    for path in store.export(args.out, args.format):
        print(f"wrote {path}", file=sys.stderr)
    return 0
