"""Time per article of the corpus pipeline on Spark (local[2]) and embedded, at growing corpus sizes.

    .venv/bin/python bench/spark_bench.py                       # 10k, 100k, 1M articles
    .venv/bin/python bench/spark_bench.py --sizes 2000,10000    # a quick run

The corpus is synthetic (`storydiff.scale._corpus`): stories told by 2-6 outlets in their own words,
15 % reprints with edits, 10 % look-alike stories (same people and place, another event), 2,000
articles a day. Each size runs once; the Spark session is started before the first size and not
counted. The embedded path (one process: `read_articles` + `run_embedded`) runs up to --embedded-max.
Prints per size: seconds and milliseconds per article for both paths, Spark's stages, and the
per-article cost relative to the smallest size (the bar: at most 2x at 1M).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from storydiff.analyze import AnalyzeOptions
from storydiff.comparison.pipeline import CompareOptions
from storydiff.scale import SparkOptions, run, run_embedded
from storydiff.scale._corpus import write_jsonl
from storydiff.scale._session import spark_session
from storydiff.scale.embedded import read_articles
from storydiff.stories.cluster import ClusterOptions

PER_DAY = 2000  # articles a day in the synthetic stream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="corpus sizes, comma-separated")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--embedded-max", type=int, default=100_000, help="largest size the embedded path runs")
    parser.add_argument("--no-reports", action="store_true", help="skip the story comparison on both paths")
    parser.add_argument("--backend", default="model2vec", help="embedding backend (default: model2vec)")
    parser.add_argument("--work", default=None, help="folder for corpora and outputs (default: a temp folder)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    compare = CompareOptions(embedder=args.backend, analyze=AnalyzeOptions(use_model=False))
    cluster = ClusterOptions(backend=args.backend)
    options = SparkOptions(cluster=cluster, compare=compare, reports=not args.no_reports)
    work = Path(args.work or tempfile.mkdtemp(prefix="spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    spark = spark_session(args.master)
    print(f"spark {spark.version} {args.master}: session started in {time.perf_counter() - started:.1f} s; "
          f"reports {'off' if args.no_reports else 'on'}; backend {args.backend}; cores {os.cpu_count()}",
          flush=True)
    base: float | None = None
    rows = []
    for n in sizes:
        corpus = work / f"corpus-{n}.jsonl"
        if not corpus.exists():
            write_jsonl(str(corpus), n, per_day=PER_DAY)
        t0 = time.perf_counter()
        summary = run(corpus, work / f"out-{n}", spark=spark, options=options)
        spark_s = time.perf_counter() - t0
        per = spark_s / n * 1000
        base = base or per
        print(f"{n:>9,} articles  spark {per:.3f} ms/article ({spark_s:.0f} s, x{per / base:.2f} of smallest)  "
              f"stages {json.dumps({k: round(v, 1) for k, v in summary.stages.items()})}", flush=True)
        emb_s = None
        if n <= args.embedded_max:
            t0 = time.perf_counter()
            articles, _ = read_articles([corpus])
            run_embedded(articles, cluster=cluster, compare=None if args.no_reports else compare)
            emb_s = time.perf_counter() - t0
        row = {"articles": n, "spark_s": round(spark_s, 1), "spark_ms_per_article": round(per, 3),
               "embedded_s": emb_s and round(emb_s, 1),
               "embedded_ms_per_article": emb_s and round(emb_s / n * 1000, 3),
               "spark_vs_smallest": round(per / base, 2), "stages": {k: round(v, 1) for k, v in summary.stages.items()},
               "counts": summary.counts}
        rows.append(row)
        emb = f"{row['embedded_ms_per_article']:.3f} ms/article ({emb_s:.0f} s)" if emb_s else "not run"
        row["load_avg"] = round(os.getloadavg()[0], 1)  # other work on the machine skews the timings
        print(f"{n:>9,} articles  embedded {emb}  counts {json.dumps(summary.counts)}  "
              f"load average {row['load_avg']}", flush=True)
    print(json.dumps(rows))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
