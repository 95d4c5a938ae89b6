"""Spark's Python daemon with storydiff imported first, so the workers it forks start warm.

Set as `spark.python.daemon.module`: every Python worker is forked from this process, and without it
each new worker spends seconds importing the extraction, dedupe and clustering modules.
"""

from __future__ import annotations

from pyspark.daemon import manager

import storydiff.scale.cluster  # noqa: F401
import storydiff.scale.compare  # noqa: F401
import storydiff.scale.dedupe  # noqa: F401
import storydiff.scale.read  # noqa: F401

if __name__ == "__main__":
    manager()
