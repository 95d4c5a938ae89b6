"""storydiff: compare how different outlets report the same news event."""

from __future__ import annotations

from typing import Any

from storydiff.errors import InputError, MissingExtraError, NoArticleError, StorydiffError, UsageError
from storydiff.model import Alignment, Article, Difference, Entity, Report, Sentence, Story

__version__ = "0.1.0"

__all__ = [
    "Alignment",
    "Article",
    "Difference",
    "Entity",
    "InputError",
    "MissingExtraError",
    "NoArticleError",
    "Report",
    "Sentence",
    "Story",
    "StorydiffError",
    "UsageError",
    "__version__",
    "compare",
    "read_article",
]


def compare(inputs: Any, **options: Any) -> Report:
    """Compare reports of one event (paths, URLs or Articles) and return a Report."""
    from storydiff.comparison.pipeline import compare as _compare

    return _compare(inputs, **options)


def read_article(path: Any, **options: Any) -> Article:
    """Read one input file (.txt, .md, .html, .json) into a clean Article."""
    from storydiff.ingest.readers import read_article as _read

    return _read(path, **options)
