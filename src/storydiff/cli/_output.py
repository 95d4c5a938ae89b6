"""Shared output step of the commands that print a comparison report."""

from __future__ import annotations

import sys
from pathlib import Path

from storydiff.model import Report


def emit_report(report: Report, fmt: str, output: str | None) -> None:
    """Render a report and write it to `output`, or to standard output (coloured on a terminal)."""
    from storydiff.report import render

    color = fmt == "terminal" and not output and sys.stdout.isatty()
    text = render(report, fmt, color=color)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
