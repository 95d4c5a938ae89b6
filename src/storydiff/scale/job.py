"""`run(input, output)`: the corpus pipeline on Spark — read, copies, stories, reports — into Parquet tables.

Tables under OUTPUT: articles (every article with its story and, for a copy, its original),
duplicates, stories (one summary row each), story_reports (JSON report per story with two or more
independent reports), failures (inputs that gave no article), and _manifest.json. The folder
appears only when every table is written (see `_session.Output`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from storydiff.comparison.pipeline import CompareOptions
from storydiff.errors import SparkError, UsageError
from storydiff.scale._session import Fault, Output, is_spark_failure, spark_message, spark_session
from storydiff.scale.cluster import BlockOptions, cluster_stories
from storydiff.scale.compare import compare_stories
from storydiff.scale.dedupe import MAX_SHINGLE_DOCS, find_duplicates
from storydiff.scale.read import distinct_articles, plan_inputs, read_inputs
from storydiff.stories.cluster import ClusterOptions
from storydiff.stories.dedupe import DedupeOptions

TABLES = ("articles", "duplicates", "stories", "story_reports", "failures")
MANIFEST = "_manifest.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class SparkOptions:
    """Options of the Spark run, one field per stage."""

    dedupe: DedupeOptions = field(default_factory=DedupeOptions)
    cluster: ClusterOptions = field(default_factory=ClusterOptions)
    blocks: BlockOptions = field(default_factory=BlockOptions)
    compare: CompareOptions = field(default_factory=CompareOptions)
    reports: bool = True  # compare every story with two or more reports (the slowest stage)
    max_shingle_docs: int = MAX_SHINGLE_DOCS  # shingles in more articles propose no copy candidates


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one Spark run wrote."""

    output: str
    counts: dict[str, int]
    backend: str  # embedding backend of the story clustering
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (read, dedupe, cluster, ...)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the manifest and JSON output."""
        return {"output": self.output, "counts": dict(self.counts), "backend": self.backend,
                "seconds": round(self.seconds, 3),
                "stages": {k: round(v, 3) for k, v in self.stages.items()}}


def run(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], output: str | os.PathLike[str], *,
        master: str | None = None, options: SparkOptions | None = None, spark: Any = None,
        fault: Fault | None = None) -> RunSummary:
    """Run the pipeline over JSONL, Parquet or WARC inputs and write the Parquet tables to `output`.

    `master` is used only when no Spark session is running (spark-submit and tests bring their own).
    A failed or killed run leaves `output` as it was; running again writes the complete result.
    `fault` is a test hook called with each table's name before it is written.
    """
    from pyspark.sql import functions as F

    started = time.perf_counter()
    options = options or SparkOptions()
    paths = [os.fspath(inputs)] if isinstance(inputs, (str, os.PathLike)) else [os.fspath(p) for p in inputs]
    planned = plan_inputs(paths)  # a missing or unsupported input fails before Spark starts
    spark = spark or spark_session(master)
    out = Output(spark, os.fspath(output))
    out.clean_stale()
    stages: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        stages[stage] = now - clock[0]
        clock[0] = now

    try:
        rows = read_inputs(spark, planned).localCheckpoint()
        articles = distinct_articles(rows).localCheckpoint()
        if not articles.limit(1).count():
            raise UsageError(_no_article(paths, rows))
        lap("read")
        duplicates = find_duplicates(articles, options.dedupe, options.max_shingle_docs).localCheckpoint()
        lap("dedupe")
        originals = articles.join(duplicates.select(F.col("article").alias("id")), "id", "left_anti")
        labels, backend = cluster_stories(originals, options.cluster, options.blocks)
        stories_of = labels.unionByName(
            duplicates.join(labels.withColumnRenamed("id", "duplicate_of"), "duplicate_of")
            .select(F.col("article").alias("id"), "story_id"))
        table = (articles.join(stories_of, "id", "left")
                 .join(duplicates.select(F.col("article").alias("id"), "duplicate_of", "similarity", "edits"),
                       "id", "left")
                 .localCheckpoint())
        lap("cluster")
        tables = {"articles": table, "duplicates": duplicates, "stories": _stories(table),
                  "failures": rows.where(F.col("error").isNotNull()).select("source", "error")}
        if options.reports:
            independent = table.where(F.col("duplicate_of").isNull())
            tables["story_reports"] = compare_stories(independent, options.compare)
        counts = {}
        for name in TABLES:
            if name not in tables:
                continue
            if fault:
                fault(name)
            out.write(name, tables[name].coalesce(_files(spark)) if name != "articles" else tables[name])
            counts[name] = spark.read.parquet(out.path(name)).count()
            lap(f"write {name}")
        summary = RunSummary(os.fspath(output), counts, backend, time.perf_counter() - started, stages)
        out.write_json(MANIFEST, summary.to_dict())
        out.commit()
    except BaseException as exc:
        out.abort()
        if is_spark_failure(exc):
            raise SparkError(f"the Spark job failed: {spark_message(exc)}") from exc
        raise
    return summary


def _no_article(paths: Sequence[str], rows: Any) -> str:
    """Why a run found nothing to process: how many inputs failed, and the first one's reason."""
    from pyspark.sql import functions as F

    failed = rows.where(F.col("error").isNotNull())
    first = failed.orderBy("source").select("source", "error").first()
    where = ", ".join(paths)
    if first is None:
        return f"{where}: no article found (every input was empty)"
    return f"{where}: no article found ({failed.count()} inputs failed; first: {first['source']}: {first['error']})"


def _files(spark: Any) -> int:
    """Part files of a small table: one per core (no thousands of tiny files)."""
    return max(1, spark.sparkContext.defaultParallelism)


def _stories(articles: Any) -> Any:
    """One row per story: title of its first independent report, first and last dates, counts, outlets."""
    from pyspark.sql import functions as F

    first = F.min_by("title", F.struct(F.col("duplicate_of").isNotNull(), "tk", "id"))
    return (articles.groupBy("story_id")
            .agg(first.alias("title"), F.min("published").alias("first_seen"), F.max("published").alias("last_seen"),
                 F.count("*").alias("articles"), F.count(F.when(F.col("duplicate_of").isNull(), 1)).alias("reports"),
                 F.countDistinct("outlet").alias("outlets"),
                 F.sort_array(F.collect_set("outlet")).alias("outlet_names")))
