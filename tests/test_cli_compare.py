"""`storydiff compare` end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "harbour-fire"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "storydiff", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def test_compare_bundled_example_to_html_and_json(tmp_path: Path) -> None:
    files = sorted(str(p) for p in EXAMPLE.iterdir())
    out = _run("compare", *files, "--date", "2031-06-12", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert len(data["articles"]) == 3
    mt = {a["id"]: a["machine_translated"]["flag"] for a in data["articles"]}
    assert mt == {"coastal-herald": False, "valley-times": False, "nordwire-mt": True}
    herald = next(a for a in data["articles"] if a["id"] == "coastal-herald")
    assert "donation" not in herald["body"].lower() and "comment" not in herald["body"].lower()
    types = {d["type"] for al in data["alignments"] for d in al["differences"]}
    assert {"number", "quote"} <= types
    out = _run("compare", *files, "--format", "html", "-o", str(tmp_path / "r.html"))
    assert out.returncode == 0 and "<html" in (tmp_path / "r.html").read_text()


def test_bad_inputs_give_one_line_errors(tmp_path: Path) -> None:
    out = _run("compare", str(EXAMPLE / "valley-times.txt"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "at least two" in out.stderr
    out = _run("compare", str(EXAMPLE / "valley-times.txt"), str(tmp_path / "missing.txt"))
    assert out.returncode == 2 and "missing.txt" in out.stderr and "Traceback" not in out.stderr
    out = _run("compare", str(EXAMPLE / "valley-times.txt"), str(EXAMPLE / "valley-times.txt"), "--date", "soon")
    assert out.returncode == 2 and "--date" in out.stderr


def test_one_bad_input_is_reported_and_the_rest_compared(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    out = _run("compare", str(EXAMPLE / "valley-times.txt"), str(EXAMPLE / "nordwire-mt.json"), str(bad),
               "--embedder", "hashing", "--no-model", "--format", "json")
    assert out.returncode == 1, out.stderr
    assert "broken.json" in out.stderr and out.stderr.count("\n") == 1
    assert len(json.loads(out.stdout)["articles"]) == 2
