"""`storydiff compare FILE FILE [FILE...]`: compare reports of one event."""

from __future__ import annotations

import argparse
import sys

from storydiff.report import FORMATS

EXAMPLE = """example:
  storydiff compare outlet-a.html outlet-b.txt outlet-c.json
  storydiff compare a.txt b.txt --date 2022-03-01 --format html --output report.html"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the compare command."""
    p = sub.add_parser("compare", help="compare reports of one event", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Show what reports of one event agree on, what each adds, and where they differ.")
    p.add_argument("inputs", nargs="+", metavar="FILE", help=".txt, .md, .html/.htm, .json (one article object) or an http(s):// URL")
    p.add_argument("--format", "-f", choices=FORMATS, default="terminal", help="report format (default: terminal)")
    p.add_argument("--output", "-o", metavar="PATH", help="write the report here instead of standard output")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="publication date to assume for inputs that carry none")
    p.add_argument("--embedder", default="auto", choices=("auto", "minilm", "model2vec", "hashing"),
                   help="sentence embedding backend (default: auto = best installed)")
    p.add_argument("--no-model", action="store_true", help="use the fast rule-based analysis instead of spaCy")
    p.add_argument("--refresh", action="store_true", help="fetch http(s):// inputs again even when cached")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the comparison and print or write the report."""
    from storydiff.analyze import AnalyzeOptions
    from storydiff.analyze.script import script_note
    from storydiff.cli._output import emit_report
    from storydiff.comparison.pipeline import CompareOptions, compare_articles, load_inputs
    from storydiff.errors import InputError, UsageError

    if args.refresh:
        from storydiff.ingest.fetch import configure

        configure(refresh=True)
    if len(args.inputs) < 2:
        raise UsageError("compare needs at least two reports of the event")
    if args.date:
        _check_date(args.date)
    options = CompareOptions(embedder=args.embedder, published=args.date,
                             analyze=AnalyzeOptions(use_model=not args.no_model))
    errors: list[InputError] = []
    with _status(f"reading {len(args.inputs)} reports"):
        articles = load_inputs(args.inputs, args.date, errors)
    for err in errors:  # one line per bad input; the comparison goes on with the rest
        print(f"storydiff: skipped {err}", file=sys.stderr)
    if len(articles) < 2:
        raise UsageError(f"compare needs at least two readable reports ({len(articles)} of {len(args.inputs)} read)")
    if len(articles) > options.max_articles:
        raise UsageError(f"compare takes at most {options.max_articles} reports at once (got {len(articles)}): "
                         "alignment cost grows with the square of the number of reports")
    for art in articles:  # compared all the same, but the user is told the analysis does not read it
        if note := script_note(f"{art.title}\n{art.body}", art.language):
            print(f"storydiff: note: {art.source or art.id}: {note}", file=sys.stderr)
    with _status(f"comparing {len(articles)} reports"):
        report = compare_articles(articles, options)
    emit_report(report, args.format, args.output)
    return 1 if errors else 0  # non-zero: some inputs could not be read


def _check_date(value: str) -> None:
    from datetime import date

    from storydiff.errors import UsageError

    try:
        date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date {value!r} is not a date: use YYYY-MM-DD") from None


def _status(message: str):  # type: ignore[no-untyped-def]
    """A spinner on stderr while long work runs (nothing when stderr is not a terminal)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)
