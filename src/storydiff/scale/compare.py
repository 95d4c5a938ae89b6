"""Story reports on Spark: each story with two or more independent reports is compared in its own task."""

from __future__ import annotations

from typing import Any

from storydiff.comparison.pipeline import CompareOptions
from storydiff.scale._session import PandasGroup
from storydiff.scale.embedded import MIN_REPORTS, story_report
from storydiff.scale.read import row_article

REPORT_SCHEMA = "story_id string, reports long, report string, error string"
MAX_ERROR_CHARS = 300  # characters of an error message kept in the table


def _compare(options: CompareOptions) -> PandasGroup:
    """applyInPandas: one story's independent reports -> its report JSON, or why comparing them failed."""

    def run(pdf: Any) -> Any:
        import pandas as pd

        arts = [row_article(r) for r in pdf.to_dict("records")]
        report = error = None
        try:
            report = story_report(arts, options)
        except Exception as exc:  # noqa: BLE001 - one bad story must not stop the job
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return pd.DataFrame({"story_id": [pdf["story_id"].iloc[0]], "reports": [len(arts)], "report": [report],
                             "error": [error]})

    return run


def compare_stories(originals: Any, options: CompareOptions | None = None) -> Any:
    """The story_reports table: story_id, number of reports, the report's JSON (or the error)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    options = options or CompareOptions()
    size = Window.partitionBy("story_id")
    multi = originals.withColumn("_k", F.count("*").over(size)).where(F.col("_k") >= MIN_REPORTS).drop("_k")
    return multi.groupBy("story_id").applyInPandas(_compare(options), REPORT_SCHEMA)
