"""Articles from JSONL, Parquet or WARC inputs, extracted on the executors by the same code as `storydiff ingest`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from storydiff.errors import InputError, NoArticleError, UsageError
from storydiff.ingest.pipeline import content_id
from storydiff.ingest.sources import (
    JSONL_SUFFIXES,
    WARC_SUFFIXES,
    InputFailure,
    RawInput,
    iter_inputs,
    parse_jsonl_line,
    to_article,
)
from storydiff.model import Article, Block
from storydiff.scale.embedded import time_key

ARTICLE_FIELDS = ("id", "url", "outlet", "title", "subtitle", "author", "published", "language", "body",
                  "source", "extractor")
ARTICLE_SCHEMA = ", ".join(f"{f} string" for f in ARTICLE_FIELDS) + ", dropped string, input_hash string, tk double"
READ_SCHEMA = ARTICLE_SCHEMA + ", error string"
_COLUMNS = (*ARTICLE_FIELDS, "dropped", "input_hash", "tk", "error")
EXTRACT_TASKS_PER_CORE = 2  # extraction tasks per core after reading the files
PARQUET_FIELDS = ("id", "url", "outlet", "title", "published", "text", "body", "html", "author", "subtitle",
                  "language")  # columns of an input Parquet table read as record fields (others are ignored)


def article_row(art: Article, input_hash: str = "") -> dict[str, Any]:
    """One row of the articles table."""
    row: dict[str, Any] = {f: getattr(art, f) for f in ARTICLE_FIELDS}
    row["dropped"] = json.dumps([b.to_dict() for b in art.dropped], ensure_ascii=False) if art.dropped else None
    row["input_hash"] = input_hash
    row["tk"] = time_key(art.published)
    return row


def row_article(row: Any) -> Article:
    """The Article of a row of the articles table (a dict, pandas row or Spark Row)."""
    get = row.get if hasattr(row, "get") else lambda k: row[k]
    dropped = get("dropped")
    blocks = tuple(Block(**b) for b in json.loads(dropped)) if isinstance(dropped, str) and dropped else ()
    return Article(**{f: (get(f) if f == "published" else get(f) or "") for f in ARTICLE_FIELDS}, dropped=blocks)


def _extract(raw: RawInput) -> dict[str, Any]:
    """Extract one raw input into an article row, or a row carrying only its error."""
    try:
        art = to_article(raw)
        return article_row(replace(art, id=content_id(art)), raw.input_hash)
    except NoArticleError as exc:
        reason = f"skipped: {exc.reason}"
    except InputError as exc:
        reason = exc.reason
    except Exception as exc:  # noqa: BLE001 - untrusted input must not stop the job
        reason = f"extraction failed ({type(exc).__name__}: {exc})"[:300]
    return {"source": raw.source, "error": reason}


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    columns = list(_COLUMNS)
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def _jsonl_batches(batches: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas: JSONL lines (value, path) -> article rows, each line parsed by ingest's own line reader."""
    for pdf in batches:
        rows = []
        for line, path in zip(pdf["value"], pdf["path"], strict=True):
            raw = parse_jsonl_line((line or "").encode("utf-8"), str(path))
            if raw is not None:
                rows.append(_row(raw))
        yield _frame(rows)


def _parquet_batches(batches: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas: rows of an input Parquet table -> article rows (each row read as a JSON record would be)."""
    for pdf in batches:
        rows = []
        for rec in pdf.to_dict("records"):
            source = rec.pop("_path", "") or ""
            record = {k: str(v) for k, v in rec.items() if v is not None and v == v and str(v) != ""}
            raw = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
            rows.append(_row(parse_jsonl_line(raw, source)))
        yield _frame(rows)


def _raw_inputs(path: str) -> Iterator[RawInput | InputFailure]:
    """Raw inputs of one local JSONL or WARC file, read by ingest's reader (sources "path:LINE", "path@OFFSET")."""
    yield from iter_inputs([path])


def _row(raw: RawInput | InputFailure | None) -> dict[str, Any]:
    """An article row, or a row carrying only why the input gave none."""
    if isinstance(raw, RawInput):
        return _extract(raw)
    if raw is None:
        return {"source": "", "error": "empty record"}
    return {"source": raw.source, "error": raw.reason}


def _extracted(raw: RawInput | InputFailure) -> tuple[Any, ...]:
    """A row of READ_SCHEMA as a tuple."""
    row = _row(raw)
    return tuple(row.get(c) for c in _COLUMNS)


def _local_files(path: str) -> list[str] | None:
    """The files under a local path (None for a remote URL such as hdfs:// or s3a://)."""
    if "://" in path and not path.startswith("file://"):
        return None
    local = path.removeprefix("file://")
    if os.path.isdir(local):
        return sorted(str(p) for p in Path(local).rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if not os.path.exists(local):
        raise UsageError(f"{path}: no such file or directory")
    return [local]


def _kind(name: str) -> str | None:
    low = name.lower()
    if low.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(WARC_SUFFIXES):
        return "warc"
    if low.endswith(".parquet") or ".parquet/" in low:
        return "parquet"
    return None


def plan_inputs(inputs: list[str]) -> dict[str, list[str]]:
    """Input paths by kind (jsonl, warc, parquet), checked before Spark starts: a bad path fails in a second."""
    by_kind: dict[str, list[str]] = {"jsonl": [], "warc": [], "parquet": []}
    for item in inputs:
        files = _local_files(item)
        if files is None:  # remote: decided by its name; a remote folder is read as Parquet
            remote = _kind(item) or "parquet"
            if remote == "warc":
                raise UsageError(f"WARC files are read from local or mounted paths only: {item}")
            by_kind[remote].append(item)
            continue
        parquet_dir = os.path.isdir(item) and any(f.endswith(".parquet") for f in files)
        for name in ([item] if parquet_dir else files):
            kind = "parquet" if parquet_dir else _kind(name)
            if kind is not None:  # unsupported files in a folder are skipped, as ingest does
                by_kind[kind].append(name)
    if not any(by_kind.values()):
        raise UsageError(f"no JSONL, Parquet or WARC input found in {', '.join(inputs)} "
                         f"(expected {', '.join(JSONL_SUFFIXES)}, .parquet, {', '.join(WARC_SUFFIXES)})")
    return by_kind


def read_inputs(spark: Any, by_kind: dict[str, list[str]]) -> Any:
    """One DataFrame of article rows and error rows (error not null) from the inputs of `plan_inputs`."""
    from pyspark.sql import functions as F

    frames = []
    local = [f for f in by_kind["jsonl"] + by_kind["warc"] if "://" not in f or f.startswith("file://")]
    remote_jsonl = [f for f in by_kind["jsonl"] if f not in local]
    if local:  # ingest's own reader per file; the raw inputs are then spread over the cores for extraction
        sc = spark.sparkContext
        raws = sc.parallelize(local, len(local)).flatMap(_raw_inputs)
        raws = raws.repartition(max(sc.defaultParallelism, len(local)) * EXTRACT_TASKS_PER_CORE)
        frames.append(spark.createDataFrame(raws.map(_extracted), READ_SCHEMA))
    if remote_jsonl:  # hdfs://, s3a://: lines split by Spark; the source is the file
        lines = spark.read.text(remote_jsonl).withColumn("path", F.input_file_name())
        frames.append(lines.mapInPandas(_jsonl_batches, READ_SCHEMA))
    if by_kind["parquet"]:
        table = spark.read.parquet(*by_kind["parquet"])
        cols = [F.col(c).cast("string").alias(c) for c in PARQUET_FIELDS if c in table.columns]
        if not cols:
            raise UsageError(f"input Parquet has none of the columns {', '.join(PARQUET_FIELDS)}")
        frames.append(table.select(*cols, F.input_file_name().alias("_path")).mapInPandas(_parquet_batches, READ_SCHEMA))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out



def distinct_articles(rows: Any) -> Any:
    """Article rows with one row per content id (an input read twice is one article), errors removed."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    arts = rows.where(F.col("error").isNull()).drop("error")
    first = Window.partitionBy("id").orderBy("source", "input_hash")
    return arts.withColumn("_n", F.row_number().over(first)).where("_n = 1").drop("_n")
