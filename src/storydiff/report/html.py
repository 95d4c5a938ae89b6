"""Self-contained HTML report: one file, no scripts, every piece of article text escaped."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from storydiff.model import Report
from storydiff.report._view import clean, view


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("storydiff.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def columns(report: Report) -> list[dict[str, Any]]:
    """Each article's sentences in order, tagged with the alignment they belong to (or unique)."""
    owner: dict[tuple[str, int], str] = {}
    kinds: dict[str, str] = {}
    for alignment in report.alignments:
        for ref in alignment.sentences:
            owner[(ref.article, ref.index)] = alignment.id
            kinds[alignment.id] = alignment.kind
    cols = []
    for art in report.articles:
        paras: list[list[dict[str, Any]]] = []
        last_para = None
        for s in report.sentences:
            if s.article != art.id:
                continue
            if s.paragraph != last_para:
                paras.append([])
                last_para = s.paragraph
            al = owner.get(s.ref)
            paras[-1].append({"text": s.text, "alignment": al or "", "kind": kinds.get(al, "unique") if al else "unique"})
        cols.append({"id": art.id, "paragraphs": paras})
    return cols


def render_html(report: Report) -> str:
    """Render a report as one self-contained HTML page."""
    v = view(report)
    return _env().get_template("report.html.j2").render(v=v, columns=clean(columns(report)))
