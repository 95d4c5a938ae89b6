"""The Spark session and the all-or-nothing output folder (written beside the target, then renamed into place)."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from storydiff.errors import MissingExtraError, SparkError

LOCAL_PARTITIONS_PER_CORE = 2  # shuffle partitions per local core (Spark's default of 200 is slow on a laptop)
TMP_MARK = ".tmp-"  # sibling folders of OUTPUT being written
DAEMON = "storydiff.scale._daemon"  # Python daemon that imports storydiff before forking workers
OLD_MARK = ".old-"
MAX_MESSAGE = 300  # characters of a Spark error kept in the one-line message  # the previous OUTPUT while the new one is renamed into place


def local_driver_memory() -> str:
    """Heap for a local[*] run, whose one JVM is driver and executor: half the RAM (Spark's 1g runs out near 1M articles)."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "1g"
    return f"{max(1, min(ram // 2**31, 64))}g"


def spark_session(master: str | None = None, app: str = "storydiff", conf: dict[str, str] | None = None) -> Any:
    """A SparkSession (the running one when there is one: spark-submit, tests); quiet console, Arrow on."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise MissingExtraError("spark", exc.name or "pyspark") from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    settings = {
        **({"spark.driver.memory": local_driver_memory()} if (master or "local").startswith("local") else {}),
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.python.daemon.module": DAEMON,
        **(conf or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        if not is_spark_failure(exc):
            raise
        raise SparkError(f"Spark could not start (it needs Java 17 and JAVA_HOME or java on PATH): "
                         f"{spark_message(exc)}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    if str(spark.sparkContext.master).startswith("local") and "spark.sql.shuffle.partitions" not in (conf or {}):
        cores = spark.sparkContext.defaultParallelism
        spark.conf.set("spark.sql.shuffle.partitions", str(max(2, cores * LOCAL_PARTITIONS_PER_CORE)))
    return spark


def is_spark_failure(exc: BaseException) -> bool:
    """Whether an exception comes from Spark or its JVM (not from storydiff's own checks)."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return isinstance(exc, (PySparkException, Py4JError))


def spark_message(exc: BaseException) -> str:
    """One line of a Spark error: the Python error a worker raised, else the first line of Spark's message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    python = [line for line in lines if line.split(":", 1)[0].endswith(("Error", "Exception"))
              and not line.startswith(("org.", "java.", "py4j."))]
    line = python[-1] if python else (lines[0] if lines else type(exc).__name__)
    return line[:MAX_MESSAGE]


class Output:
    """An output folder written atomically: tables go to OUTPUT.tmp-<id>, which replaces OUTPUT at the end.

    Works on any Hadoop file system (local, HDFS, S3A) through Spark's own FileSystem API. Folders left by
    a killed run are removed by the next run into the same OUTPUT, so it never sees partial tables.
    """

    def __init__(self, spark: Any, output: str) -> None:
        self.spark = spark
        self.target = output.rstrip("/")
        jvm = spark.sparkContext._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._fs = self._Path(self.target).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self.tmp = f"{self.target}{TMP_MARK}{uuid.uuid4().hex[:12]}"

    def clean_stale(self) -> None:
        """Remove what killed runs left beside OUTPUT (their temporary and replaced folders)."""
        for mark in (TMP_MARK, OLD_MARK):
            for status in self._fs.globStatus(self._Path(f"{self.target}{mark}*")) or []:
                self._fs.delete(status.getPath(), True)

    def path(self, table: str) -> str:
        """Where one table is written during the run."""
        return f"{self.tmp}/{table}"

    def write(self, table: str, frame: Any) -> None:
        """Write one table (Parquet) into the temporary folder."""
        frame.write.mode("overwrite").parquet(self.path(table))

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        """A small JSON file (the run's manifest) in the temporary folder."""
        stream = self._fs.create(self._Path(f"{self.tmp}/{name}"), True)
        try:
            stream.write(bytearray(json.dumps(data, indent=2, sort_keys=True).encode()))
        finally:
            stream.close()

    def commit(self) -> None:
        """Swap the finished folder into place (the previous OUTPUT, if any, is removed after)."""
        target = self._Path(self.target)
        old = None
        if self._fs.exists(target):
            old = self._Path(f"{self.target}{OLD_MARK}{uuid.uuid4().hex[:12]}")
            if not self._fs.rename(target, old):
                raise OSError(f"cannot move {self.target} aside")
        if not self._fs.rename(self._Path(self.tmp), target):
            raise OSError(f"cannot rename {self.tmp} to {self.target}")
        if old is not None:
            self._fs.delete(old, True)

    def abort(self) -> None:
        """Remove the temporary folder of a failed run (what cannot be removed now, the next run removes)."""
        try:
            self._fs.delete(self._Path(self.tmp), True)
        except Exception:  # noqa: BLE001 - the JVM may be gone; clean_stale removes the folder later
            pass


Fault = Callable[[str], None]  # test hook: called with each table name before it is written
PandasBatches = Callable[[Iterator[Any]], Iterator[Any]]  # a mapInPandas function: pandas frames in, frames out
PandasGroup = Callable[[Any], Any]  # an applyInPandas function: one group's frame in, a frame out
