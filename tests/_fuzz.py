"""Coverage-guided fuzzing of storydiff with atheris: the targets, the child-process driver and its parent.

Each target turns fuzzer bytes into input for one stage (extraction, sentence splitting, entity
resolution, quantity parsing, date parsing, compare). Inside the child process an exception that
is not a documented storydiff error for that stage counts as a crash: it is logged with the input
(saved under the run's artifact folder) and fuzzing goes on. An input running longer than
PER_INPUT_SECONDS is a hang: libFuzzer's -timeout stops the child, which the parent records and
restarts for the runs that are left.

    python -m tests._fuzz TARGET [libFuzzer flags]   (the child; the parent sets STORYDIFF_FUZZ_* in its env)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "data" / "fuzz"  # seed corpus per target, and crash regressions
PER_INPUT_SECONDS = 5  # the hang bar: an input running longer is a hang
MAX_LEN = {"extract": 16_384, "compare": 8_192}  # bytes per generated input; others use DEFAULT_MAX_LEN
DEFAULT_MAX_LEN = 4_096
RSS_LIMIT_MB = 2_048  # a child above this is stopped and counted as a crash (runaway memory)
STATS_EVERY_S = 0.5  # seconds between two writes of the child's counters
ENV_OUT = "STORYDIFF_FUZZ_OUT"  # folder where the child writes its counters and failing inputs
ENV_RUNS = "STORYDIFF_FUZZ_RUNS"  # runs the child is asked for (it writes its final counters then)

# --- input builders -------------------------------------------------------------------------------------

# Fragments the HTML builder strings together: structure, boilerplate, hostile markup and entities.
HTML_PIECES = (
    "<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<title>", "</title>", "<article>",
    "</article>", "<main>", "<div>", "</div>", "<div class='content'>", "<p>", "</p>", "<h1>", "</h1>",
    "<h2>", "<br>", "<nav>", "</nav>", "<footer>", "</footer>", "<aside>", "<ul><li>", "</li></ul>",
    "<a href='/x'>", "</a>", "<script>", "</script>", "<style>", "</style>", "<!--", "-->", "<![CDATA[",
    "]]>", "<table><tr><td>", "</td></tr></table>", "<pre>", "<blockquote>", "<time datetime='2031-04-08'>",
    "<meta property='article:published_time' content='2031-04-08'>", "<meta charset='koi8-r'>",
    "<meta name='author' content='Ilse Marrow'>", "<svg><text>", "<math>", "<template>", "<iframe>",
    "<noscript>", "<form><input name=q>", "&amp;", "&nbsp;", "&#0;", "&#x110000;", "&#99999999999;", "&bogus",
    "\x00", "\ufeff", "\u202e", "\r", "\n\n", "<?xml version='1.0'?>", "<!DOCTYPE html>", "<",
)
NEWS = (
    "The Skarnvik ferry service was halted on Monday after a fire in the engine room, the port authority said.",
    "All 212 passengers were brought ashore safely; two crew members were treated for smoke inhalation.",
    '"We will not resume sailings until the engine has been inspected," spokesperson Ilse Marrow said.',
    "Subscribe to our newsletter. Cookie settings. Privacy policy. Share this article.",
    "Foreign minister Dmytro Kuleba told Wang Yi last Thursday that $1.5bn in aid had arrived on 24th February.",
    "The king said 3,000 people, or 12.5% of the town, left between March 3 and 5 March 2022.",
    "By Anna Holt, Staff Writer", "Please support our journalism. Donate now.",
    "Mr. Kreva, Cleva and Kleba met the minister in Kyiv yesterday.",
)
LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "ROLE", "")


def _text(fdp: Any, limit: int) -> str:
    """Text for a field: fuzzer unicode, a news sentence, or a mix of both."""
    choice = fdp.ConsumeIntInRange(0, 3)
    if choice == 0:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, limit))
    if choice == 1:
        return NEWS[fdp.ConsumeIntInRange(0, len(NEWS) - 1)]
    parts = []
    for _ in range(fdp.ConsumeIntInRange(0, 12)):
        if fdp.ConsumeBool():
            parts.append(NEWS[fdp.ConsumeIntInRange(0, len(NEWS) - 1)])
        else:
            parts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64)))
    return ("\n\n" if choice == 3 else " ").join(parts)


def _html(fdp: Any) -> str:
    """A page strung together from HTML fragments, news sentences and fuzzer text (often deeply nested)."""
    out = []
    while fdp.remaining_bytes() > 0 and len(out) < 4_000:
        k = fdp.ConsumeIntInRange(0, len(HTML_PIECES) + 2)
        if k < len(HTML_PIECES):
            piece = HTML_PIECES[k]
            out.append(piece * (fdp.ConsumeIntInRange(1, 300) if piece in ("<div>", "<p>", "<b>") else 1))
        elif k == len(HTML_PIECES):
            out.append(NEWS[fdp.ConsumeIntInRange(0, len(NEWS) - 1)])
        else:
            out.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 80)))
    return "".join(out)


# --- targets: each takes the fuzzer's bytes; documented storydiff errors are fine -----------------------

def target_extract(data: bytes) -> None:
    """HTML or text to an Article body (trafilatura, then the boilerplate rules), as the file readers do."""
    import atheris

    from storydiff.errors import InputError
    from storydiff.ingest.boilerplate import classify, split_glued, strip_boilerplate
    from storydiff.ingest.extract import clean_body, extract_html, extract_text
    from storydiff.ingest.readers import decode_bytes

    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    try:
        if mode == 0:  # raw bytes as an .html file
            extract_html(decode_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()), "fuzz.html"), source="fuzz.html")
        elif mode == 1:  # raw bytes as a .txt file
            extract_text(decode_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()), "fuzz.txt"), source="fuzz.txt")
        elif mode == 2:
            extract_html(_html(fdp), url="https://fuzz.example/a", source="fuzz.html")
        else:
            paragraphs = [split_glued(_text(fdp, 300)) for _ in range(fdp.ConsumeIntInRange(0, 20))]
            classify(paragraphs)
            strip_boilerplate(paragraphs)
            clean_body(paragraphs)
    except InputError:
        pass  # empty, binary, no article text, nested too deep: the documented per-input error


def target_sentences(data: bytes) -> None:
    """Sentence splitting of paragraphs and bodies."""
    import atheris

    from storydiff.analyze.sentences import split_body, split_sentences

    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        for sent in split_sentences(_text(fdp, 4_000)):
            assert sent.strip(), "an empty sentence"
    else:
        split_body([_text(fdp, 1_000) for _ in range(fdp.ConsumeIntInRange(0, 8))])


def target_entities(data: bytes) -> None:
    """Names found by the no-model rules, and entity resolution across articles (spelling, garbles)."""
    import atheris

    from storydiff.analyze.entities import mentions_by_regex, role_mentions
    from storydiff.model import Mention
    from storydiff.resolve.aliases import garble_evidence, resolve_entities, skeleton, spellings_in_article

    fdp = atheris.FuzzedDataProvider(data)
    mentions: list[Mention] = []
    for i in range(fdp.ConsumeIntInRange(0, 24)):
        article = "ab"[fdp.ConsumeIntInRange(0, 1)]
        if fdp.ConsumeBool():
            text = _text(fdp, 200)
            found = mentions_by_regex(text, article, i)
            mentions += found + role_mentions(text, article, i, found)
        else:
            name = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
            label = LABELS[fdp.ConsumeIntInRange(0, len(LABELS) - 1)]
            mentions.append(Mention(article, i, name, label, 0, len(name)))
    for entity in resolve_entities(mentions):
        spellings_in_article(entity, "a")
    if len(mentions) >= 2:
        skeleton(mentions[0].text)
        garble_evidence(mentions[0].text, mentions[-1].text)


def target_quantities(data: bytes) -> None:
    """Numbers, money, percentages and counted nouns in a sentence."""
    import atheris

    from storydiff.analyze.quantities import find_quantities, is_duration

    fdp = atheris.FuzzedDataProvider(data)
    for q in find_quantities(_text(fdp, 2_000)):
        is_duration(q)


def target_dates(data: bytes) -> None:
    """Publication dates (any string) and the date expressions of a sentence resolved against them."""
    import atheris

    from storydiff.analyze.dates import find_dates, parse_published, resolve

    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 2)
    if choice == 0:
        published = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
    elif choice == 1:  # a well-formed ISO day anywhere in the calendar, the extreme years included
        published = (f"{fdp.ConsumeIntInRange(1, 9999):04d}-{fdp.ConsumeIntInRange(1, 12):02d}-"
                     f"{fdp.ConsumeIntInRange(1, 31):02d}")
    else:
        published = "2031-04-08"
    base = parse_published(published)
    text = _text(fdp, 600)
    find_dates(text, base)
    resolve(text[:80], base)


def target_compare(data: bytes) -> None:
    """`compare` over two to four articles, with the cheap options (hashing embedder, no model)."""
    import atheris

    from storydiff.analyze import AnalyzeOptions
    from storydiff.comparison.pipeline import CompareOptions, compare_articles
    from storydiff.model import Article

    fdp = atheris.FuzzedDataProvider(data)
    articles = []
    for i in range(fdp.ConsumeIntInRange(2, 4)):
        published = (fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12)) if fdp.ConsumeBool()
                     else "2031-04-08")
        articles.append(Article(id=f"r{i}", title=_text(fdp, 80), body=_text(fdp, 1_500), published=published))
    report = compare_articles(articles, CompareOptions(embedder="hashing", analyze=AnalyzeOptions(use_model=False)))
    json.loads(report.to_json())


def _target_selftest(data: bytes) -> None:
    """Checks the harness: crashes on a quarter of the inputs and hangs once per run folder."""
    marker = Path(os.environ[ENV_OUT]) / "hung-once"
    if data and not marker.exists():
        marker.touch()
        time.sleep(PER_INPUT_SECONDS + 2)
    if data and data[0] % 4 == 0:
        raise RuntimeError("selftest crash")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "extract": target_extract,
    "sentences": target_sentences,
    "entities": target_entities,
    "quantities": target_quantities,
    "dates": target_dates,
    "compare": target_compare,
}


# --- the child: one target under atheris -----------------------------------------------------------------

def _child(name: str, argv: list[str]) -> None:
    """Fuzz one target until libFuzzer's -runs are done; crashes are logged to ENV_OUT and fuzzing goes on."""
    import atheris

    out = Path(os.environ[ENV_OUT])
    runs = int(os.environ.get(ENV_RUNS, "0"))
    if name == "selftest":
        target = _target_selftest
    else:
        with atheris.instrument_imports(include=["storydiff", "trafilatura", "pysbd"] if name == "extract"
                                        else ["storydiff", "pysbd"]):
            import storydiff.analyze  # noqa: F401
            import storydiff.comparison.pipeline  # noqa: F401
            import storydiff.ingest.extract  # noqa: F401
            import storydiff.resolve.aliases  # noqa: F401
        target = TARGETS[name]
    state = {"inputs": 0, "crashes": 0, "first": 0.0, "flushed": 0.0}

    def flush(now: float) -> None:
        stats = {"inputs": state["inputs"], "crashes": state["crashes"], "seconds": now - state["first"]}
        (out / "stats.json").write_text(json.dumps(stats))
        state["flushed"] = now

    def one_input(data: bytes) -> None:
        now = time.monotonic()
        if not state["first"]:
            state["first"] = now
        state["inputs"] += 1
        try:
            target(data)
        except Exception as exc:  # noqa: BLE001 - every unexpected exception is a finding, logged and counted
            state["crashes"] += 1
            digest = hashlib.sha1(data).hexdigest()
            (out / f"crash-{digest}").write_bytes(data)
            last = traceback.extract_tb(exc.__traceback__)[-1]
            event = {"kind": "crash", "error": f"{type(exc).__name__}: {exc}"[:300],
                     "where": f"{last.filename}:{last.lineno}", "input": f"crash-{digest}"}
            with (out / "events.jsonl").open("a") as fh:
                fh.write(json.dumps(event) + "\n")
        end = time.monotonic()
        if state["inputs"] >= runs or end - state["flushed"] > STATS_EVERY_S:
            flush(end)

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


# --- the parent: runs children, restarting after a hang, and counts ----------------------------------------

@dataclass
class Result:
    """What one target's fuzzing run found."""

    target: str
    inputs: int = 0
    seconds: float = 0.0  # time spent inside the target (imports and start-up left out)
    crashes: int = 0
    hangs: int = 0
    errors: list[str] = field(default_factory=list)  # one line per crash or hang: what, where, input file

    @property
    def execs_per_s(self) -> float:
        """Inputs per second of target time."""
        return self.inputs / self.seconds if self.seconds else 0.0


_UNITS = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_TIMEOUT = re.compile(r"ERROR: libFuzzer: timeout|ALARM: working on the last Unit")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


def run_target(name: str, runs: int, *, artifacts: Path | None = None, seed: int = 1,
               max_restarts: int = 20) -> Result:
    """Fuzz one target for `runs` inputs in child processes; a hang stops a child, the next one goes on."""
    result = Result(name)
    keep = artifacts is not None
    work = Path(tempfile.mkdtemp(prefix=f"storydiff-fuzz-{name}-"))
    out = artifacts / name if artifacts is not None else work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    corpus = work / "corpus"
    corpus.mkdir()
    if (SEEDS / name).is_dir():
        for f in (SEEDS / name).iterdir():
            shutil.copy(f, corpus / f.name)
    env = {**os.environ, ENV_OUT: str(out), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    left, restarts = runs, 0
    try:
        while left > 0 and restarts <= max_restarts:
            (out / "stats.json").unlink(missing_ok=True)
            env[ENV_RUNS] = str(left)
            cmd = [sys.executable, "-m", "tests._fuzz", name, str(corpus), f"-runs={left}",
                   f"-timeout={PER_INPUT_SECONDS}", f"-max_len={MAX_LEN.get(name, DEFAULT_MAX_LEN)}",
                   f"-rss_limit_mb={RSS_LIMIT_MB}", f"-seed={seed + restarts}", "-print_final_stats=1",
                   f"-artifact_prefix={out}/", "-close_fd_mask=1"]
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, errors="replace")
            stats = json.loads((out / "stats.json").read_text()) if (out / "stats.json").exists() else {}
            done = int(m.group(1)) if (m := _UNITS.search(proc.stderr)) else int(stats.get("inputs", 0))
            result.inputs += done
            result.seconds += float(stats.get("seconds", 0.0))
            result.crashes += int(stats.get("crashes", 0))
            left -= max(done, 1)
            if proc.returncode == 0:
                continue
            restarts += 1
            unit = m.group(1) if (m := _ARTIFACT.search(proc.stderr)) else "?"
            if _TIMEOUT.search(proc.stderr):
                result.hangs += 1
                result.errors.append(f"hang: over {PER_INPUT_SECONDS} s on input {unit}")
            else:
                result.crashes += 1
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])[:300]
                result.errors.append(f"child exited {proc.returncode}: {tail} (input {unit})")
        if (out / "events.jsonl").exists():
            for line in (out / "events.jsonl").read_text().splitlines():
                event = json.loads(line)
                result.errors.append(f"crash: {event['error']} at {event['where']} (input {event['input']})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
    return result


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2:])
