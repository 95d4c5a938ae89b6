"""Crash-safety bench: SIGKILL `storydiff ingest` many times at random points and check every resumed store.

Each kill is armed (at the n-th call of a kill point: reading, extraction, placing, consolidation,
state, mid-transaction writes, just after a commit) or timed (a random delay); every store then
finishes uninterrupted and must equal an uninterrupted run: the same articles once each, the same
stories and copies, and no orphan rows (after every kill as well). Prints the figures; mismatches
must be 0. Bounded in time: no new kill starts after --seconds.

    .venv/bin/python bench/crash_bench.py --kills 100 --seconds 900
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness lives with the tests

from tests import _crash  # noqa: E402


def main() -> int:
    """Run the kills and print the figures; exit 1 on any mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs in all (default: 100)")
    parser.add_argument("--seconds", type=float, default=900, help="start no kill after this long (default: 900)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first series (default: random)")
    parser.add_argument("--parallel", type=int, default=2, help="series run at once (default: 2)")
    parser.add_argument("--stories", type=int, default=30, help="stories in the corpus (default: 30)")
    args = parser.parse_args()
    seed = random.randrange(1 << 30) if args.seed is None else args.seed
    with tempfile.TemporaryDirectory(prefix="storydiff-crash-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        counts = _crash.build_corpus(corpus, stories=args.stories, seed=seed)
        started = time.monotonic()
        ref = _crash.reference(corpus, work)
        tally = _crash.kill_many(corpus, work, ref, args.kills, seed, args.parallel, seconds=args.seconds)
    stages = ", ".join(f"{stage} {n}" for stage, n in tally.stages.most_common())
    print(f"corpus              {counts['lines']} JSONL lines: {len(ref.want.articles)} articles "
          f"({len(ref.want.copies)} copies) in {len(ref.want.stories)} stories; "
          f"batches of {_crash.BATCH_SIZE}, reorder window {_crash.REORDER_WINDOW}")
    print(f"uninterrupted run   {ref.seconds:.1f} s")
    print(f"seed                {seed} (series seeds {seed}..{seed + args.parallel - 1})")
    print(f"kills               {tally.kills} SIGKILLs ({stages})")
    print(f"re-runs             {tally.reruns} ingest runs in all; {tally.finished_before_kill} finished "
          "before their kill")
    print(f"articles checked    {tally.articles_checked} in resumed stores, against the uninterrupted run")
    print(f"mismatches          {len(tally.mismatches)}")
    for line in tally.mismatches[:20]:
        print(f"  {line}")
    print(f"time                {time.monotonic() - started:.0f} s")
    return 1 if tally.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
