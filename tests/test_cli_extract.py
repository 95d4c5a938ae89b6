"""`storydiff extract`: text and JSON output, --explain, and a batch that goes on past bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storydiff.cli import build_parser, main

DATA = Path(__file__).parent / "data" / "extract"


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["extract", "--help"])
    assert "example:" in capsys.readouterr().out


def test_text_with_explain(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(corpus_dir / "independent.txt"), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "title: Ukraine asks China to mediate ceasefire with Russia" in out
    assert "[reader appeal] Your support makes all the difference." in out
    assert "[comment prompt] Join our commenting forum" in out


def test_json_lines_and_bad_files_go_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code = main(
        [
            "extract",
            str(bad),
            str(DATA / "harbour.html"),
            str(empty),
            str(DATA / "harbour.json"),
            "--format",
            "json",
        ]
    )
    assert code == 2
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert [x["id"] for x in lines] == ["harbour", "harbour"]
    assert "dropped" not in lines[0]
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2
    assert str(bad) in errors[0] and "bad JSON" in errors[0]
    assert str(empty) in errors[1] and "empty" in errors[1]


def test_same_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, town in enumerate(["Arden", "Belmor", "Caskey", "Dunmore"]):
        (tmp_path / f"p{i}.txt").write_text(
            f"Storm closes roads around {town}\n\n"
            f"Heavy rain closed roads around {town} on Sunday, the highway office said.\n\n"
            "Valley Post: local news, every morning\n"
        )
    files = [str(p) for p in sorted(tmp_path.glob("*.txt"))]
    assert main(["extract", *files, "--same-site", "--format", "json", "--explain"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4
    assert all("Valley Post" not in x["body"] for x in lines)
    assert all(any(b["reason"].startswith("repeats on 4 of 4") for b in x["dropped"]) for x in lines)
