"""Time per article of the corpus pipeline on Spark (local[2]) and embedded, at growing corpus sizes.

    .venv/bin/python bench/spark_bench.py                       # 10k, 100k, 1M articles
    .venv/bin/python bench/spark_bench.py --sizes 2000,10000    # a quick run

The corpus is synthetic (`storydiff.scale._corpus`): stories told by 2-6 outlets in their own words,
15 % reprints with edits, 10 % look-alike stories (same people and place, another event), 2,000
articles a day. Each size runs once. Not counted: starting the Spark session, and a warm-up run
(--warmup articles) in which Spark's Python workers start and import storydiff (without it the first
size pays that once and looks slower per article). The embedded path (one process: `read_articles` +
`run_embedded`) runs up to --embedded-max.

Prints per size: seconds and milliseconds per article for both paths, Spark's stages, and the
per-article cost relative to the smallest size (the bar: at most 2x at 1M), in wall-clock time and in
CPU time of the whole process tree (core-ms per article: what a cluster pays, and what other work
on a shared machine does not inflate), with the machine's load average.
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


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and every process under it (Spark's JVM, its Python workers).

    Unlike the wall clock this does not grow when other work shares the machine's cores; on a cluster
    it is the core-seconds to pay for. Linux only (reads /proc); 0.0 elsewhere.
    """
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parent[int(entry)] = int(fields[1])
        used[int(entry)] = sum(int(f) for f in fields[11:15]) / tick  # utime, stime, and of reaped children
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(child for child, ppid in parent.items() if ppid == pid)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="corpus sizes, comma-separated")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--embedded-max", type=int, default=100_000, help="largest size the embedded path runs")
    parser.add_argument("--no-reports", action="store_true", help="skip the story comparison on both paths")
    parser.add_argument("--backend", default="model2vec", help="embedding backend (default: model2vec)")
    parser.add_argument("--work", default=None, help="folder for corpora and outputs (default: a temp folder)")
    parser.add_argument("--warmup", type=int, default=2000,
                        help="articles run once before measuring, not counted (Python workers start and import)")
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
    if args.warmup:
        corpus = work / f"corpus-{args.warmup}.jsonl"
        if not corpus.exists():
            write_jsonl(str(corpus), args.warmup, per_day=PER_DAY)
        t0 = time.perf_counter()
        run(corpus, work / "out-warmup", spark=spark, options=options)
        print(f"warm-up run of {args.warmup:,} articles (not counted): {time.perf_counter() - t0:.0f} s", flush=True)
    base: float | None = None
    cpu_base: float | None = None
    rows = []
    for n in sizes:
        corpus = work / f"corpus-{n}.jsonl"
        if not corpus.exists():
            write_jsonl(str(corpus), n, per_day=PER_DAY)
        t0, c0 = time.perf_counter(), cpu_seconds()
        summary = run(corpus, work / f"out-{n}", spark=spark, options=options)
        spark_s, spark_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        per, cpu_per = spark_s / n * 1000, spark_cpu / n * 1000
        base, cpu_base = base or per, cpu_base or cpu_per
        print(f"{n:>9,} articles  spark {per:.3f} ms/article ({spark_s:.0f} s, x{per / base:.2f} of smallest)  "
              f"cpu {cpu_per:.3f} core-ms/article (x{cpu_per / cpu_base:.2f})  "
              f"stages {json.dumps({k: round(v, 1) for k, v in summary.stages.items()})}", flush=True)
        emb_s = emb_cpu = None
        if n <= args.embedded_max:
            t0, c0 = time.perf_counter(), cpu_seconds()
            articles, _ = read_articles([corpus])
            run_embedded(articles, cluster=cluster, compare=None if args.no_reports else compare)
            emb_s, emb_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        row = {"articles": n, "spark_s": round(spark_s, 1), "spark_ms_per_article": round(per, 3),
               "spark_cpu_ms_per_article": round(cpu_per, 3), "embedded_s": emb_s and round(emb_s, 1),
               "embedded_ms_per_article": emb_s and round(emb_s / n * 1000, 3),
               "embedded_cpu_ms_per_article": emb_cpu and round(emb_cpu / n * 1000, 3),
               "spark_vs_smallest": round(per / base, 2), "spark_cpu_vs_smallest": round(cpu_per / cpu_base, 2),
               "stages": {k: round(v, 1) for k, v in summary.stages.items()}, "counts": summary.counts}
        rows.append(row)
        emb = (f"{row['embedded_ms_per_article']:.3f} ms/article ({emb_s:.0f} s), "
               f"cpu {row['embedded_cpu_ms_per_article']:.3f} core-ms/article" if emb_s else "not run")
        row["load_avg"] = round(os.getloadavg()[0], 1)  # other work on the machine skews the timings
        print(f"{n:>9,} articles  embedded {emb}  counts {json.dumps(summary.counts)}  "
              f"load average {row['load_avg']}", flush=True)
    print(json.dumps(rows))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
