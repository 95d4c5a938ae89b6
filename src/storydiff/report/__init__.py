"""Render a Report as terminal text, Markdown, a self-contained HTML page, or JSON."""

from __future__ import annotations

from storydiff.errors import UsageError
from storydiff.model import Report

FORMATS = ("terminal", "markdown", "html", "json")


def render(report: Report, fmt: str = "terminal", *, color: bool = False, width: int = 100) -> str:
    """Render a report in one of FORMATS."""
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        from storydiff.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from storydiff.report.html import render_html

        return render_html(report)
    if fmt == "terminal":
        from storydiff.report.terminal import render_terminal

        return render_terminal(report, color=color, width=width)
    raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render"]
