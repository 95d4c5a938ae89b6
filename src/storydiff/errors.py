"""One exception tree for storydiff; the CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class StorydiffError(Exception):
    """Base of every error storydiff raises on purpose."""

    exit_code = 1


class InputError(StorydiffError):
    """An input file, URL or record could not be read or understood."""

    exit_code = 2

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class NoArticleError(InputError):
    """An input was read but held no article text."""


class UsageError(StorydiffError):
    """A command was called with arguments that cannot work together."""

    exit_code = 2


class MissingExtraError(StorydiffError):
    """An optional dependency is not installed; the message names the pip command."""

    exit_code = 3

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(f"{module} is not installed: run  pip install 'storydiff[{extra}]'")
        self.extra = extra


class StoreError(StorydiffError):
    """The store file is missing, locked, or of a schema this version cannot read."""

    exit_code = 4


class SparkError(StorydiffError):
    """Spark could not start, or a Spark job failed; the message gives Spark's first line."""

    exit_code = 5
