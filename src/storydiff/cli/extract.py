"""`storydiff extract`: print the article storydiff reads from each file, and why blocks were dropped."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TextIO

from storydiff.errors import InputError, StorydiffError
from storydiff.model import Article

EXPLAIN_MAX_CHARS = 300  # characters of a dropped block shown by --explain

EXAMPLE = """example:
  storydiff extract ../shared/corpus/kuleba-wang-call/independent.txt --explain
  storydiff extract pages/*.html --same-site --format json > articles.jsonl"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `extract` command."""
    parser = subparsers.add_parser(
        "extract",
        help="extract the article (title, byline, date, outlet, clean body) from files",
        description="Read .txt, .md, .html/.htm or .json files and print the article found in each. "
        "Bad files are reported one line each and the rest still run.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="article files or http(s):// URLs to read")
    parser.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text (default) or JSON Lines, one article a line",
    )
    parser.add_argument(
        "--explain", action="store_true", help="also list every dropped block with its reason"
    )
    parser.add_argument(
        "--same-site",
        action="store_true",
        help="the files are pages of one site: drop blocks repeated across many of them",
    )
    parser.add_argument("--published", metavar="DATE", default=None, help="date to use when a file has none")
    parser.add_argument("--refresh", action="store_true", help="fetch http(s):// inputs again even when cached")
    parser.set_defaults(func=run)


def _text(article: Article, explain: bool, out: TextIO) -> None:
    """Print one article as readable text."""
    print(f"== {article.source or article.id}", file=out)
    for label, value in (
        ("title", article.title),
        ("subtitle", article.subtitle),
        ("author", article.author),
        ("outlet", article.outlet),
        ("published", article.published or ""),
        ("url", article.url),
    ):
        if value:
            print(f"{label}: {value}", file=out)
    print(file=out)
    print(article.body, file=out)
    if explain:
        print(f"\n-- dropped {len(article.dropped)} block(s):", file=out)
        for block in article.dropped:
            text = " ".join(block.text.split())
            if len(text) > EXPLAIN_MAX_CHARS:
                text = text[: EXPLAIN_MAX_CHARS - 1] + "…"
            print(f"  [{block.reason}] {text}", file=out)
    print(file=out)


def _json(article: Article, explain: bool, out: TextIO) -> None:
    """Print one article as a JSON line (dropped blocks only with --explain)."""
    data = article.to_dict()
    if not explain:
        data.pop("dropped", None)
    print(json.dumps(data, ensure_ascii=False), file=out)


def run(args: argparse.Namespace) -> int:
    """Read every file, print what was extracted; one line per failed file, non-zero exit if any failed."""
    from storydiff.ingest.boilerplate import learn_site_boilerplate, strip_site_boilerplate
    from storydiff.ingest.readers import read_article

    if args.refresh:
        from storydiff.ingest.fetch import configure

        configure(refresh=True)
    articles: list[Article] = []
    status = 0
    seen: set[str] = set()
    for path in args.files:
        key = path if path.startswith(("http://", "https://")) else os.path.realpath(path)
        if key in seen:  # one file named twice is printed once
            print(f"storydiff: error: {path}: given more than once; read once", file=sys.stderr)
            status = max(status, InputError.exit_code)
            continue
        seen.add(key)
        try:
            articles.append(read_article(path, published=args.published))
        except StorydiffError as exc:
            print(f"storydiff: error: {exc}", file=sys.stderr)
            status = max(status, exc.exit_code)
    if args.same_site and articles:
        model = learn_site_boilerplate(articles)
        cleaned = []
        for art in articles:
            try:
                cleaned.append(strip_site_boilerplate(art, model))
            except InputError as exc:
                print(f"storydiff: error: {exc}", file=sys.stderr)
                status = max(status, exc.exit_code)
        articles = cleaned
    show = _json if args.format == "json" else _text
    for art in articles:
        show(art, args.explain, sys.stdout)
    return status
