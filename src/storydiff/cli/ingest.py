"""`storydiff ingest PATH...`: read a folder, JSONL, CSV or WARC of articles into the store."""

from __future__ import annotations

import argparse
import json

EXAMPLE = """example:
  storydiff ingest crawl/ dump.jsonl pages.warc.gz --db news.duckdb
  STORYDIFF_DB=news.duckdb storydiff ingest feed.csv --published 2024-05-01"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ingest command."""
    p = sub.add_parser(
        "ingest", help="read articles into the store, drop copies, group stories", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read folders (recursively), .jsonl, .csv (header naming url, outlet, title, published, "
        "text or html), .warc/.warc.gz, single .html/.txt/.md/.json files and http(s) URLs (fetched politely, cached) into the store. "
        "Re-running on the same inputs adds nothing; an interrupted run, re-run, completes. "
        "Each bad input is reported on one line and the rest still go in.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or http(s) URLs to ingest")
    add_db_argument(p)
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="extraction processes (default: one per core)")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="articles committed per transaction (default: 512)")
    p.add_argument("--reorder-window", type=int, default=None, metavar="N",
                   help="articles held back and placed oldest first (default: 4096; 0 for inputs "
                   "already in time order)")
    p.add_argument("--embedder", choices=("auto", "minilm-int8", "minilm", "model2vec", "hashing"), default=None,
                   help="sentence embeddings of headlines for story clustering in a new store (default: auto = "
                   "MiniLM with int8 weights when installed; minilm = float weights; model2vec is faster still); "
                   "a store keeps the backend it was built with")
    p.add_argument("--published", metavar="YYYY-MM-DD", help="date to assume for inputs that carry none")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also name each skipped input (no article text, unsupported file type)")
    p.set_defaults(func=run)


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The shared --db option."""
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="store file (default: $STORYDIFF_DB, else ./storydiff.duckdb)")


def run(args: argparse.Namespace) -> int:
    """Ingest, with a progress bar on stderr and the summary on stdout; exit 2 when some inputs failed."""
    from dataclasses import replace
    from datetime import date

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from storydiff.errors import InputError, UsageError
    from storydiff.ingest.pipeline import BATCH_SIZE, REORDER_WINDOW, IngestOptions, count_inputs, ingest
    from storydiff.ingest.sources import InputFailure, SourceOptions
    from storydiff.store import Store

    if args.published:
        try:
            date.fromisoformat(args.published)
        except ValueError:
            raise UsageError(f"--published {args.published!r} is not a date: use YYYY-MM-DD") from None
    if args.workers < 0 or (args.batch_size is not None and args.batch_size < 1) or (
            args.reorder_window is not None and args.reorder_window < 0):
        raise UsageError("--workers and --reorder-window must be 0 or more, --batch-size 1 or more")
    options = IngestOptions(workers=args.workers, batch_size=args.batch_size or BATCH_SIZE,
                            reorder_window=REORDER_WINDOW if args.reorder_window is None else args.reorder_window,
                            embedder=args.embedder,
                            sources=replace(SourceOptions(), published=args.published))
    store = Store(args.db)
    err = Console(stderr=True, highlight=False)
    total = count_inputs(args.paths)
    bar = Progress(
        SpinnerColumn(), TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, disable=args.no_progress or not err.is_terminal, transient=False,
    )

    def failed(failure: InputFailure) -> None:
        if failure.error or args.verbose:
            label = "error" if failure.error else "skipped"
            bar.console.print(f"storydiff: {label}: {failure.source}: {failure.reason}", markup=False,
                              highlight=False, soft_wrap=True)

    with bar:
        task = bar.add_task("reading", total=total, rate="")
        placing = bar.add_task("placing", total=None, rate="", visible=False)

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            if speed:
                bar.update(task, rate=f"{speed:,.0f}/s")

        def placed(n: int) -> None:
            if not bar.tasks[placing].visible:
                bar.reset(placing, visible=True)
            bar.update(placing, total=bar.tasks[task].completed)
            bar.advance(placing, n)
            speed = bar.tasks[placing].speed
            if speed:
                bar.update(placing, rate=f"{speed:,.0f}/s")

        summary = ingest(args.paths, store, options, progress=advance, on_failure=failed, on_placed=placed,
                         total=total)
    if args.json:
        print(json.dumps({"db": store.path, **summary.to_dict()}, ensure_ascii=False, indent=2))
    else:
        print(_summary_text(summary, store.path))
    return InputError.exit_code if summary.failures else 0


def _summary_text(summary, db: str) -> str:  # type: ignore[no-untyped-def]
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(summary.skipped.items())) or "none"
    lines = [
        f"store       {db}",
        f"read        {summary.read} inputs in {summary.seconds:.1f} s ({summary.rate:,.0f}/s)",
        f"extracted   {summary.extracted} articles, {summary.added} new, "
        f"{summary.already_stored} already stored",
        f"skipped     {skipped}",
        f"failed      {len(summary.failures)} inputs",
        f"duplicates  {summary.duplicates} copies of earlier articles",
        f"stories     {summary.new_stories} new, {summary.stories_grown} grown",
    ]
    return "\n".join(lines)
