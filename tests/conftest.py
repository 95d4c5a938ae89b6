"""Shared fixtures: the reference corpus and datasets in ../shared (required under CI=true)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STORYDIFF_SHARED", ROOT.parent / "shared"))
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _need(path: Path) -> Path:
    """Return a path under ../shared; fail under CI=true when it is missing, skip elsewhere."""
    if not path.exists():
        msg = f"{path} is missing (the shared corpus and datasets sit beside the repository)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder."""
    return _need(SHARED)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The reference pair of reports with its answer key."""
    return _need(SHARED / "corpus" / "kuleba-wang-call")


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The labelled datasets."""
    return _need(SHARED / "datasets")
