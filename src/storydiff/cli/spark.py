"""`storydiff spark run INPUT... OUTPUT` (the corpus pipeline on Spark) and `storydiff import OUTPUT` (into the store)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storydiff.scale import SparkOptions

RUN_EXAMPLE = """example:
  storydiff spark run news.jsonl out/                         # local[*]: every core of this machine
  storydiff spark run archive/ crawl.warc.gz out/ --master local[2] --no-reports
  spark-submit --master spark://head:7077 $(python -c 'import storydiff.scale.submit as s; print(s.__file__)') \\
      s3a://news/2031/ s3a://news-out/2031/                   # on a cluster: see docs/spark.md"""

IMPORT_EXAMPLE = """example:
  storydiff import out/ --db news.duckdb && storydiff serve --db news.duckdb"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the spark and import commands."""
    p = sub.add_parser("spark", help="run the corpus pipeline on Apache Spark (Parquet tables out)",
                       description="The corpus pipeline on Apache Spark: needs  pip install 'storydiff[spark]'  "
                       "and Java 17.")
    spark_sub = p.add_subparsers(dest="spark_command", metavar="SUBCOMMAND", required=True)
    r = spark_sub.add_parser(
        "run", help="read, drop copies, cluster into stories and compare each story, on Spark",
        epilog=RUN_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read JSONL, Parquet or WARC articles (files or folders, local or hdfs:// / s3a://) and write "
        "the Parquet tables articles, duplicates, stories, story_reports and failures to OUTPUT. OUTPUT "
        "appears only when every table is written; a failed run leaves it as it was.",
    )
    r.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL, Parquet or WARC files or folders")
    r.add_argument("output", metavar="OUTPUT", help="output folder (replaced when the run succeeds)")
    r.add_argument("--master", default=None,
                   help="Spark master when none is running (default: local[*]; e.g. local[2], spark://host:7077)")
    r.add_argument("--backend", default=None, metavar="NAME",
                   help="embedding backend for stories and reports: minilm, model2vec, hashing (default: auto)")
    r.add_argument("--no-model", action="store_true", help="regex analysis instead of spaCy in the reports (faster)")
    r.add_argument("--no-reports", action="store_true", help="skip the story comparison (the slowest stage)")
    r.add_argument("--block-windows", type=int, default=None, metavar="N",
                   help="story-clustering blocks span N windows of active_days (default: 4)")
    r.add_argument("--max-shingle-docs", type=int, default=None, metavar="N",
                   help="shingles in more than N articles propose no copy candidates (default: 100; raise it when "
                   "one story is reprinted, with edits, by more outlets than that)")
    r.add_argument("--json", action="store_true", help="print the run summary as JSON")
    r.set_defaults(func=run_spark)

    i = sub.add_parser("import", help="load a Spark run's tables into the store (for storydiff serve)",
                       epilog=IMPORT_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Load the articles table of OUTPUT (with stories and copy links) into the "
                       "embedded store; articles already stored are left unchanged.")
    i.add_argument("output", metavar="OUTPUT", help="the OUTPUT folder of  storydiff spark run")
    i.add_argument("--db", metavar="PATH", default=None,
                   help="store file (default: $STORYDIFF_DB, else ./storydiff.duckdb)")
    i.set_defaults(func=run_import)


def options_from_args(args: argparse.Namespace) -> SparkOptions:
    """SparkOptions from the command-line flags."""
    from dataclasses import replace

    from storydiff.analyze import AnalyzeOptions
    from storydiff.scale import BlockOptions, SparkOptions

    opts = SparkOptions(reports=not args.no_reports)
    if args.backend:
        opts = replace(opts, cluster=replace(opts.cluster, backend=args.backend),
                       compare=replace(opts.compare, embedder=args.backend))
    if args.no_model:
        opts = replace(opts, compare=replace(opts.compare, analyze=AnalyzeOptions(use_model=False)))
    if args.max_shingle_docs:
        opts = replace(opts, max_shingle_docs=args.max_shingle_docs)
    if args.block_windows:
        opts = replace(opts, blocks=BlockOptions(block_windows=args.block_windows))
    return opts


def run_spark(args: argparse.Namespace) -> int:
    """Run the Spark job and print what it wrote."""
    from storydiff.scale import run

    summary = run(args.inputs, args.output, master=args.master, options=options_from_args(args))
    if args.json:
        print(json.dumps(summary.to_dict()))
    else:
        counts = ", ".join(f"{n} {t}" for t, n in summary.counts.items())
        print(f"{summary.output}: {counts} ({summary.seconds:.1f} s, stories by {summary.backend})")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import the tables and print how many articles were new."""
    from storydiff.scale.importer import import_tables
    from storydiff.store import Store

    store = Store(args.db)
    added = import_tables(args.output, store)
    print(f"{added} articles imported into {store.path}")
    return 0
