"""Coverage-guided fuzzing (atheris) of every storydiff target: inputs, execs/s, crashes and hangs per target.

Each target runs in child processes for at least --runs generated inputs; an unhandled exception
is a crash, an input over 5 s a hang. Failing inputs are kept under --artifacts. Exits 1 on any.

    .venv/bin/python bench/fuzz_bench.py [--runs 10000] [--targets extract,compare] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests._fuzz import TARGETS, Result, run_target  # noqa: E402

DEFAULT_RUNS = 10_000  # the bar: generated inputs per target
DEFAULT_ARTIFACTS = ROOT / "bench" / "out" / "fuzz"


def main(argv: list[str] | None = None) -> int:
    """Fuzz the targets, print one row each, and exit 1 when any crashed or hung."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="inputs per target")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of: {', '.join(TARGETS)}")
    parser.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once (one process each)")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS, help="where failing inputs are kept")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer seed")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results: list[Result] = list(pool.map(
            lambda n: run_target(n, args.runs, artifacts=args.artifacts, seed=args.seed), names))
    print(f"{'target':<12}{'inputs':>9}{'execs/s':>10}{'crashes':>9}{'hangs':>7}")
    for r in results:
        print(f"{r.target:<12}{r.inputs:>9,}{r.execs_per_s:>10,.0f}{r.crashes:>9}{r.hangs:>7}")
    for r in results:
        for line in r.errors:
            print(f"  {r.target}: {line}")
    total = sum(r.inputs for r in results)
    bad = sum(r.crashes + r.hangs for r in results)
    short = [r.target for r in results if r.inputs < args.runs]
    print(f"{total:,} inputs over {len(results)} targets in {time.monotonic() - start:.0f} s; "
          f"{bad} crashes or hangs" + (f"; short of {args.runs} inputs: {', '.join(short)}" if short else ""))
    return 1 if bad or short else 0


if __name__ == "__main__":
    sys.exit(main())
