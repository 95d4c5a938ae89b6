"""Crash-safety harness: SIGKILL `storydiff ingest` at random points, re-run it, check the store.

Shared by tests/test_crash_safety.py and bench/crash_bench.py. Run as a script, it is the ingest
under test with a tracer thread that records which stage the main thread is in (`--trace FILE`),
so a kill can be attributed to reading, extraction, clustering, consolidation or a batch write.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRACE_EVERY_S = 0.002  # seconds between two looks at the ingest's main thread
BATCH_SIZE = 24  # articles per committed batch in the runs under test (several batches per run)
REORDER_WINDOW = 40  # articles held back and sorted by time (exercised: the corpus is not in time order)

# Innermost-first: the first of these found walking out from the current frame names the stage.
STAGES = (
    ("consolidate", "consolidate"), ("_absorb", "consolidate"),
    ("_refresh_stories", "write"), ("_insert_json", "write"), ("_write", "write"), ("write", "write"),
    ("migrate", "write"),
    ("add_many", "cluster"), ("place_many", "cluster"), ("__init__@StoryPlacer", "cluster"),
    ("to_article", "extract"), ("_extract_many", "extract"),
    ("known_inputs", "read"), ("known_articles", "read"), ("known_stories", "read"), ("story_ids", "read"),
    ("_jsonl", "read"), ("fresh", "read"), ("count_inputs", "read"),
)
STAGE_OF = dict(STAGES)

# Where an armed kill lands: (module, class, function, before or after the call); a kill at the
# n-th call of one of these. Timed kills (at a random moment) cover the rest, e.g. inside a COMMIT.
POINTS = {
    "read": ("storydiff.store", "Store", "known_inputs", "before"),  # checking inputs against the store
    "extract": ("storydiff.ingest.pipeline", "", "to_article", "before"),  # extracting one input
    "cluster": ("storydiff.stories.cluster", "StoryClusterer", "place", "before"),  # placing one article
    "consolidate": ("storydiff.stories.cluster", "StoryClusterer", "consolidate", "after"),  # merges not written
    "merge": ("storydiff.stories.cluster", "StoryClusterer", "_absorb", "after"),  # mid-merge of two stories
    "state": ("storydiff.ingest.pipeline", "StoryPlacer", "state", "after"),  # state saved, batch not written
    "write-rows": ("storydiff.store", "Store", "_insert_json", "after"),  # mid-transaction: some rows in
    "write-stories": ("storydiff.store", "Store", "_refresh_stories", "after"),  # all written, no COMMIT yet
    "committed": ("storydiff.store", "Store", "write", "after"),  # just after a COMMIT
}

_TOPICS = ("flood", "election", "merger", "trial", "strike", "summit", "outbreak", "launch", "verdict", "storm")
_PLACES = ("Avalon", "Brixham", "Corvale", "Dunmore", "Eastwick", "Fairhaven", "Glenrock", "Harrow", "Ironbridge",
           "Juniper", "Kestrel", "Lowmoor")
_PEOPLE = ("Mara Quill", "Tobias Venn", "Ilse Marrow", "Jon Abernathy", "Priya Solace", "Ode Karim",
           "Lena Strand", "Rafe Dunmore", "Sela Orrin", "Vic Halden")
_VERBS = ("says", "warns", "confirms", "denies", "announces", "rejects", "backs", "delays")
_FILLER = ("officials", "residents", "the council", "analysts", "witnesses", "the ministry", "local groups")


# --- the corpus --------------------------------------------------------------------------------

def _body(rng: random.Random, topic: str, place: str, person: str, code: str, n: int) -> str:
    """A fictional report of one story: its own sentences around the story's names and numbers."""
    paras = []
    for _ in range(n):
        paras.append(
            f"{person} {rng.choice(_VERBS)} that the {topic} in {place} involved {rng.randint(2, 900)} "
            f"{rng.choice(_FILLER)} and the {code} plan. {rng.choice(_FILLER).capitalize()} in {place} "
            f"{rng.choice(_VERBS)} the {code} figures on day {rng.randint(1, 9)} of the {topic}."
        )
    return "\n\n".join(paras)


def build_corpus(path: Path, stories: int = 40, seed: int = 1) -> dict[str, int]:
    """Write a JSONL corpus: independent reports, reprints, repeats, HTML records, broken lines; its counts.

    Lines are shuffled within a few hours of each other, so the ingest's reorder window has work to do.
    """
    from storydiff.model import Article
    from storydiff.stories._synthetic import reprint

    rng = random.Random(seed)
    start = datetime(2031, 3, 1, tzinfo=UTC)
    records: list[tuple[float, dict[str, Any]]] = []
    counts: Counter[str] = Counter()
    for s in range(stories):
        topic, place, person = rng.choice(_TOPICS), rng.choice(_PLACES), rng.choice(_PEOPLE)
        code = f"K{s:03d}{rng.choice('ABCDEFGH')}"
        day = start + timedelta(hours=s * 9)
        for r in range(rng.randint(2, 6)):
            when = day + timedelta(minutes=rng.randint(0, 600))
            outlet = f"Outlet {rng.randint(1, 25)}"
            title = f"{person} {rng.choice(_VERBS)} {code} {topic} in {place}"
            body = _body(rng, topic, place, person, code, rng.randint(2, 4))
            url = f"https://outlet{s}-{r}.example/{code.lower()}/{r}"
            rec: dict[str, Any] = {"url": url, "outlet": outlet, "title": title,
                                   "published": when.isoformat(), "text": body}
            if rng.random() < 0.15:  # a page to extract rather than a ready text
                paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
                rec = {k: v for k, v in rec.items() if k != "text"}
                rec["html"] = (f"<html><head><title>{title}</title></head><body><nav>Home | World</nav>"
                               f"<article><h1>{title}</h1>{paras}</article><footer>(c) {outlet}</footer></body></html>")
                counts["html"] += 1
            records.append((when.timestamp(), rec))
            counts["reports"] += 1
            if "text" in rec and rng.random() < 0.35:  # a syndicated copy, a little later
                art = Article(id="x", title=title, body=body, outlet=outlet, url=url, published=rec["published"])
                copy = reprint(art, rng.sample(("headline", "trim", "byline", "reorder"), rng.choice((1, 2))),
                               "x~copy", rng)
                later = when + timedelta(minutes=rng.randint(5, 300))
                records.append((later.timestamp(), {
                    "url": f"https://wire{rng.randint(1, 9)}.example/{code.lower()}-{r}", "outlet":
                    f"Wire {rng.randint(1, 9)}", "title": copy.title, "published": later.isoformat(),
                    "text": copy.body}))
                counts["copies"] += 1
    records.sort(key=lambda p: p[0] + rng.uniform(-4, 4) * 3600)  # arrival: roughly, not exactly, in time order
    lines = [json.dumps(rec, ensure_ascii=False) for _, rec in records]
    extra = []
    for _ in range(max(2, len(lines) // 60)):
        i = rng.randrange(len(lines))
        rec = json.loads(lines[i])
        choice = rng.random()
        if choice < 0.4:
            extra.append((i, lines[i]))  # the same line again: an exact repeat of an input
            counts["repeated_lines"] += 1
        elif choice < 0.8:
            rec["crawled"] = f"run-{rng.randint(1, 99)}"  # another input holding the same article
            extra.append((i, json.dumps(rec, ensure_ascii=False)))
            counts["repeated_articles"] += 1
        else:
            extra.append((i, '{"title": "broken line'))
            counts["broken"] += 1
    for i, line in sorted(extra, key=lambda p: -p[0]):
        lines.insert(i + rng.randint(1, 40), line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts["lines"] = len(lines)
    return dict(counts)


# --- running and killing ------------------------------------------------------------------------

def ingest_argv(corpus: Path, db: Path, *wrapper: str) -> list[str]:
    """The ingest under test: JSONL in, the no-model hashing backend, one worker, small batches."""
    head = [sys.executable, str(Path(__file__).resolve()), *wrapper]
    return [*head, "ingest", str(corpus), "--db", str(db), "--embedder", "hashing", "--workers", "1",
            "--batch-size", str(BATCH_SIZE), "--reorder-window", str(REORDER_WINDOW), "--no-progress", "--json"]


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    return env


def run_to_end(corpus: Path, db: Path, counts: Path | None = None, timeout: float = 300) -> dict[str, Any]:
    """Run the ingest uninterrupted (counting calls of each kill point into `counts`); its JSON summary."""
    wrapper = ("--count", str(counts)) if counts else ()
    proc = subprocess.run(ingest_argv(corpus, db, *wrapper), capture_output=True, text=True, timeout=timeout,
                          env=_env())
    if proc.returncode not in (0, 2):  # 2: some inputs failed, as the corpus has broken lines
        raise AssertionError(f"ingest exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def run_and_kill(corpus: Path, db: Path, trace: Path, *, delay: float = 0.0, point: str = "",
                 nth: int = 0, timeout: float = 300) -> tuple[bool, str]:
    """Run the ingest and SIGKILL it: after `delay` seconds, or at the `nth` call of kill point `point`.

    Returns whether it was killed (it may finish first) and the stage its main thread was in.
    """
    trace.write_text("start")
    wrapper = ["--trace", str(trace)] + (["--kill-at", f"{point}:{nth}"] if point else [])
    proc = subprocess.Popen(ingest_argv(corpus, db, *wrapper), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=_env())
    try:
        proc.wait(timeout=delay if not point else timeout)
    except subprocess.TimeoutExpired:
        if point:
            proc.kill()
            raise AssertionError(f"ingest armed to die at {point}:{nth} ran over {timeout} s") from None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode == -signal.SIGKILL:
        return True, trace.read_text().strip() or "start"
    if proc.returncode not in (0, 2):
        raise AssertionError(f"ingest exited {proc.returncode} before the kill: {err[-2000:]}")
    return False, "finished"


# --- checking the store --------------------------------------------------------------------------

ORPHAN_CHECKS = {
    "articles without a story": "SELECT count(*) FROM articles WHERE story_id IS NULL",
    "articles in a missing story": "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                                   "(SELECT 1 FROM stories s WHERE s.id = a.story_id)",
    "stories without articles": "SELECT count(*) FROM stories s WHERE NOT EXISTS "
                                "(SELECT 1 FROM articles a WHERE a.story_id = s.id)",
    "stories whose counts are stale": "SELECT count(*) FROM stories s JOIN (SELECT story_id, count(*) n, "
                                      "count(*) FILTER (WHERE duplicate_of IS NULL) r, min(seq) f, max(seq) l "
                                      "FROM articles GROUP BY story_id) a ON a.story_id = s.id "
                                      "WHERE s.articles <> a.n OR s.reports <> a.r OR s.first_seq <> a.f "
                                      "OR s.last_seq <> a.l",
    "copies of a missing article": "SELECT count(*) FROM articles a WHERE duplicate_of IS NOT NULL AND NOT EXISTS "
                                   "(SELECT 1 FROM articles o WHERE o.id = a.duplicate_of)",
    "inputs done whose article is missing": "SELECT count(*) FROM inputs i WHERE NOT EXISTS "
                                            "(SELECT 1 FROM articles a WHERE a.id = i.article_id)",
    "articles without their input": "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                                    "(SELECT 1 FROM inputs i WHERE i.article_id = a.id)",
    "articles stored twice": "SELECT count(*) - count(DISTINCT (url, outlet, title, body)) FROM articles",
    "seq numbers reused": "SELECT count(*) - count(DISTINCT seq) FROM articles",
    "articles without saved stories state": "SELECT CASE WHEN count(*) > 0 AND (SELECT count(*) FROM state) < 2 "
                                            "THEN 1 ELSE 0 END FROM articles",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a store holds, reduced to what must match an uninterrupted run."""

    articles: frozenset[str]
    stories: frozenset[frozenset[str]]  # the partition of articles into stories
    copies: frozenset[tuple[str, str]]  # (copy, original)
    inputs: int
    orphans: dict[str, int] = field(default_factory=dict)  # check -> offending rows (only non-zero)


def migrated(db: Path) -> bool:
    """Whether the store got as far as its schema (a kill during the first migration leaves none yet)."""
    import duckdb

    if not db.exists():
        return False
    con = duckdb.connect(str(db), read_only=True)
    try:
        return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                "WHERE table_name = 'schema_migrations'").fetchone()[0]  # type: ignore[index]
                    and con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def snapshot(db: Path) -> Snapshot:
    """Open the store read-only (as a user would after a crash) and read what the checks compare."""
    from storydiff.store import Store

    store = Store(db, read_only=True, timeout=30)
    with store.connect() as con:
        rows = con.execute("SELECT id, story_id, duplicate_of FROM articles").fetchall()
        inputs = con.execute("SELECT count(*) FROM inputs").fetchone()[0]  # type: ignore[index]
        orphans = {name: int(con.execute(sql).fetchone()[0]) for name, sql in ORPHAN_CHECKS.items()}  # type: ignore[index]
    groups: dict[str, set[str]] = {}
    for art, story, _ in rows:
        groups.setdefault(story, set()).add(art)
    return Snapshot(frozenset(r[0] for r in rows), frozenset(frozenset(g) for g in groups.values()),
                    frozenset((r[0], r[2]) for r in rows if r[2]), int(inputs),
                    {k: v for k, v in orphans.items() if v})


def differences(got: Snapshot, want: Snapshot) -> list[str]:
    """How a resumed store differs from the uninterrupted one (empty: it does not)."""
    out = [f"{name}: {n}" for name, n in got.orphans.items()]
    if got.articles != want.articles:
        out.append(f"articles: {len(got.articles - want.articles)} extra, {len(want.articles - got.articles)} missing")
    if got.stories != want.stories:
        out.append(f"stories: {len(got.stories - want.stories)} groups differ "
                   f"({len(got.stories)} stories, expected {len(want.stories)})")
    if got.copies != want.copies:
        out.append(f"copies: {len(got.copies ^ want.copies)} (copy, original) pairs differ")
    if got.inputs != want.inputs:
        out.append(f"inputs: {got.inputs} recorded, expected {want.inputs}")
    return out


@dataclass(slots=True)
class Tally:
    """What a series of kills did: kills, by stage, re-runs, articles checked, mismatches."""

    kills: int = 0
    finished_before_kill: int = 0
    reruns: int = 0
    articles_checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    stages: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        """Add another series' figures to these."""
        self.kills += other.kills
        self.finished_before_kill += other.finished_before_kill
        self.reruns += other.reruns
        self.articles_checked += other.articles_checked
        self.mismatches += other.mismatches
        self.stages.update(other.stages)


def kill_many(corpus: Path, workdir: Path, ref: Reference, kills: int, seed: int, parallel: int = 2,
              per_store: int = 5, seconds: float | None = None) -> Tally:
    """`kills` kills in `parallel` series at once (seeds seed, seed+1, ...), each into stores of its own.

    With `seconds`, no new kill starts after that long (each series still completes its last store).
    """
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    deadline = None if seconds is None else started + seconds
    shares = [kills // parallel + (i < kills % parallel) for i in range(parallel)]
    tallies = [Tally() for _ in shares]
    with ThreadPoolExecutor(parallel) as pool:
        for future in [pool.submit(kill_series, corpus, workdir, ref, n, seed + i, tallies[i], per_store, deadline)
                       for i, n in enumerate(shares) if n]:
            future.result()
    total = Tally()
    for t in tallies:
        total.add(t)
    total.seconds = time.monotonic() - started
    return total


@dataclass(frozen=True, slots=True)
class Reference:
    """The uninterrupted run everything is compared with: its store, time and calls of each kill point."""

    want: Snapshot
    seconds: float
    calls: dict[str, int]


def reference(corpus: Path, workdir: Path) -> Reference:
    """Ingest the corpus into a fresh store without interruption, counting calls of each kill point."""
    db, counts = workdir / "reference.duckdb", workdir / "reference-calls.json"
    started = time.monotonic()
    run_to_end(corpus, db, counts)
    seconds = time.monotonic() - started
    return Reference(snapshot(db), seconds, json.loads(counts.read_text()))


def kill_series(corpus: Path, workdir: Path, ref: Reference, kills: int, seed: int, tally: Tally,
                per_store: int = 5, deadline: float | None = None) -> None:
    """SIGKILL the ingest `kills` times, `per_store` times into each fresh store, then let it finish.

    Each kill is armed (at the n-th call of a random kill point) or timed (after a random delay), in
    equal shares. After every kill the half-written store must reopen with no orphan rows; after each
    store's last kill an uninterrupted re-run must leave exactly the reference run's articles, stories
    and copies. Everything random comes from `seed`, and every mismatch names it.
    """
    rng = random.Random(seed)
    trace = workdir / f"trace-{seed}"
    points = sorted(p for p in POINTS if ref.calls.get(p))
    done = store_no = 0
    while done < kills and (deadline is None or time.monotonic() < deadline):
        store_no += 1
        db = workdir / f"crash-{seed}-{store_no}.duckdb"
        left = 1.0  # share of the corpus not yet committed
        for _ in range(min(per_store, kills - done)):
            if deadline is not None and time.monotonic() >= deadline:
                break
            if rng.random() < 0.5:
                point = rng.choice(points)
                nth = rng.randint(1, max(1, round(ref.calls[point] * left)))
                how = f"{point}:{nth}"
                killed, stage = run_and_kill(corpus, db, trace, point=point, nth=nth)
            else:
                delay = rng.uniform(0.0, ref.seconds * max(left, 0.4))
                how = f"{delay:.2f} s"
                killed, stage = run_and_kill(corpus, db, trace, delay=delay)
            where = f"seed {seed}, store {store_no}, kill at {how} ({stage})"
            tally.reruns += 1
            if not killed:
                tally.finished_before_kill += 1
                break  # the store is complete: the next kill would find nothing to do
            done += 1
            tally.kills += 1
            tally.stages[stage] += 1
            if migrated(db):
                partial = snapshot(db)
                tally.mismatches += [f"{where}: {d}" for d in partial.orphans]
                left = 1 - len(partial.articles) / max(len(ref.want.articles), 1)
        run_to_end(corpus, db)
        tally.reruns += 1
        got = snapshot(db)
        tally.articles_checked += len(got.articles)
        tally.mismatches += [f"seed {seed}, store {store_no} (after its kills): {d}"
                             for d in differences(got, ref.want)]


# --- the traced ingest (run as a script) ---------------------------------------------------------

def _stage(frame: Any) -> str:
    while frame is not None:
        name = frame.f_code.co_name
        if name == "__init__" and type(frame.f_locals.get("self")).__name__ == "StoryPlacer":
            name = "__init__@StoryPlacer"
        stage = STAGE_OF.get(name)
        if stage:
            return stage
        frame = frame.f_back
    return "start"


def _trace(path: str, main_id: int) -> None:
    """Keep `path` naming the stage the main thread is in (rewritten only when it changes)."""
    last = ""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    while True:
        frame = sys._current_frames().get(main_id)
        stage = _stage(frame)
        if stage != last:
            data = stage.encode().ljust(16)
            os.pwrite(fd, data, 0)
            last = stage
        time.sleep(TRACE_EVERY_S)


def _arm(point: str, nth: int, counts: Counter[str] | None) -> None:
    """Wrap the function named by `point`: SIGKILL this process at its `nth` call (or just count calls)."""
    import importlib
    import inspect

    module, owner, attr, when = POINTS[point]
    target = importlib.import_module(module)
    if owner:
        target = getattr(target, owner)
    original = getattr(target, attr)
    calls = 0

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if counts is not None:
            counts[point] += 1
        elif calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = original(*args, **kwargs)
        if counts is None and calls == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    static = isinstance(inspect.getattr_static(target, attr), staticmethod)
    setattr(target, attr, staticmethod(wrapped) if static else wrapped)


def _main(argv: list[str]) -> int:
    counts: Counter[str] | None = None
    count_file = None
    while argv and argv[0].startswith("--") and argv[0] in ("--trace", "--kill-at", "--count"):
        flag, value, argv = argv[0], argv[1], argv[2:]
        if flag == "--trace":
            threading.Thread(target=_trace, args=(value, threading.get_ident()), daemon=True).start()
        elif flag == "--kill-at":
            point, nth = value.rsplit(":", 1)
            _arm(point, int(nth), None)
        else:
            counts, count_file = Counter(), value
            for point in POINTS:
                _arm(point, 0, counts)
    from storydiff.cli import main

    code = main(argv)
    if count_file:
        Path(count_file).write_text(json.dumps(counts))
    return code


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
