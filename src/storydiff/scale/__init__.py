"""The corpus pipeline on Apache Spark (`pip install 'storydiff[spark]'`): Parquet tables out, same library inside."""

from storydiff.scale.cluster import BlockOptions
from storydiff.scale.embedded import CorpusResult, run_embedded
from storydiff.scale.importer import import_tables
from storydiff.scale.job import TABLES, RunSummary, SparkOptions, run

__all__ = ["TABLES", "BlockOptions", "CorpusResult", "RunSummary", "SparkOptions", "import_tables", "run",
           "run_embedded"]
