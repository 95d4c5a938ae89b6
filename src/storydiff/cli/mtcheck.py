"""`storydiff mt-check`: score the store's reports for machine translation, so stories can be filtered by it."""

from __future__ import annotations

import argparse
import json
import sys

from storydiff.cli.ingest import add_db_argument

EXAMPLE = """example:
  storydiff mt-check --db news.duckdb
  storydiff mt-check --format json --no-progress"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the mt-check command."""
    p = sub.add_parser("mt-check", help="flag the store's machine-translated reports", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Check every independent report not checked yet for signs of machine "
                       "translation (one person spelled several ways, garbled sentences) and record the "
                       "score and evidence, for `storydiff serve`'s filter. Safe to interrupt and re-run.")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="processes (default: all cores)")
    p.add_argument("--no-model", action="store_true", help="rule-based analysis (fast, finds far fewer names)")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="summary format")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the check with a progress bar on stderr and print what it flagged."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from storydiff.errors import UsageError
    from storydiff.mtcheck import check_store
    from storydiff.report._view import clean
    from storydiff.store import Store

    if args.workers < 0:
        raise UsageError("--workers must be 0 (all cores) or more")
    store = Store(args.db)
    err = Console(stderr=True)
    bar = Progress("checking", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                   disable=args.no_progress or not err.is_terminal)
    with bar:
        task = bar.add_task("check", total=None)
        summary = check_store(store, workers=args.workers or None, use_model=not args.no_model,
                              on_progress=lambda done, total: bar.update(task, completed=done, total=total))
    counts = store.mt_counts()
    if args.format == "json":
        print(json.dumps({**summary.to_dict(), "store": counts}, ensure_ascii=False))
        return 0
    print(f"checked {summary.checked} reports: {summary.flagged} flagged as machine-translated, "
          f"{summary.failed} could not be analysed; the store now has {counts['flagged']} flagged of "
          f"{counts['checked']} checked")
    for f in summary.examples:
        print(clean(f"  {f.article_id}  {f.outlet or '-'}: {f.title[:70]}"))  # article text: no control codes
        for line in f.evidence:
            print(clean(f"      {line}"))
    if summary.flagged > len(summary.examples):
        print(f"  … and {summary.flagged - len(summary.examples)} more", file=sys.stdout)
    if summary.failures:
        print(f"could not analyse {summary.failed} report{'' if summary.failed == 1 else 's'} "
              "(left unchecked: the next `storydiff mt-check` tries again):")
        for failure in summary.failures:
            print(clean(f"  {failure.article_id}  {failure.outlet or '-'}: {failure.title[:70]}"))
            print(clean(f"      {failure.reason}"))
    return 0
