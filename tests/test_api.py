"""The public API: sorted exports, and importing storydiff stays light."""

from __future__ import annotations

import subprocess
import sys

import storydiff


def test_all_is_sorted_and_exported() -> None:
    assert storydiff.__all__ == sorted(storydiff.__all__)
    for name in storydiff.__all__:
        assert hasattr(storydiff, name), name


def test_import_does_not_load_heavy_dependencies() -> None:
    code = ("import sys, storydiff; heavy = [m for m in ('spacy', 'torch', 'pyspark', 'fastapi', 'uvicorn') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout


def test_compare_is_the_function_not_the_package() -> None:
    import storydiff.comparison.pipeline  # noqa: F401  (importing the stage must not shadow the API)

    assert callable(storydiff.compare)
