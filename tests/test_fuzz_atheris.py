"""Coverage-guided fuzzing, short run: every target takes SHORT_RUNS atheris inputs with no crash and no hang.

The full run (10,000 inputs per target) is `bench/fuzz_bench.py`. Each input a fuzzer once crashed
storydiff with is kept under tests/data/fuzz/TARGET/ and replayed here as a regression test.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

atheris = pytest.importorskip("atheris")

from tests._fuzz import PER_INPUT_SECONDS, SEEDS, TARGETS, run_target  # noqa: E402

SHORT_RUNS = 400  # inputs per target in `make test` (all six together take well under a minute on 2 cores)
CRASHERS = sorted(p for p in SEEDS.glob("*/crash-*"))


@pytest.fixture(scope="module")
def short_runs() -> dict[str, object]:
    """One short fuzzing run per target, two targets at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(TARGETS, pool.map(lambda n: run_target(n, SHORT_RUNS), TARGETS), strict=True))


@pytest.mark.parametrize("name", list(TARGETS))
def test_short_fuzz_run_finds_no_crash_or_hang(short_runs: dict[str, object], name: str) -> None:
    result = short_runs[name]
    assert result.inputs >= SHORT_RUNS, result  # type: ignore[attr-defined]
    assert result.crashes == 0 and result.hangs == 0, "\n".join(result.errors)  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", CRASHERS, ids=[f"{p.parent.name}/{p.name[:14]}" for p in CRASHERS])
def test_input_that_once_crashed_runs_clean(path: Path) -> None:
    start = time.monotonic()
    TARGETS[path.parent.name](path.read_bytes())
    assert time.monotonic() - start < PER_INPUT_SECONDS


def test_the_harness_counts_crashes_and_hangs(tmp_path: Path) -> None:
    """A target that raises is a crash with its input kept; one over the time bar is a hang, and the run goes on."""
    result = run_target("selftest", 200, artifacts=tmp_path)
    assert result.inputs >= 199 and result.crashes > 0 and result.hangs == 1, result
    assert any("selftest crash" in line for line in result.errors)
    assert any(line.startswith("hang:") for line in result.errors)
    assert list((tmp_path / "selftest").glob("crash-*"))
