"""Markdown report, for pasting into notes, tickets and fact-check write-ups."""

from __future__ import annotations

import re

from storydiff.model import Report
from storydiff.report._view import view

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: str) -> str:
    """Escape article text so Markdown shows it literally (no links, HTML or emphasis from content)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render_markdown(report: Report) -> str:
    """Render a report as Markdown."""
    v = view(report)
    out = [f"# storydiff: {v['n']} reports compared", ""]
    out += ["## Sources", "", "| source | language | title | published | sentences | machine-translated | notes |",
            "|---|---|---|---|---|---|---|"]
    for s in v["sources"]:
        mt = "yes: " + md("; ".join(s["mt_evidence"])) if s["mt"] else "no"
        out.append(f"| {md(s['label'])} | {md(s['language_name'])} | {md(s['title'])} | {md(s['published'] or '?')} | "
                   f"{s['sentences']} | {mt} | {md(s['note'])} |")
    out += ["", "## Headlines", ""]
    for h in v["headlines"]:
        own = ", ".join(md(w) for w in h["own"]) or "—"
        out.append(f"- **{md(h['label'])}**: {md(h['title'])}  (only this headline: {own})")
    c = v["counts"]
    out += ["", f"## Agreement ({c['alignments']} aligned claims, {c['consensus']} in every report)", ""]
    for al in v["alignments"]:
        flag = "" if al["kind"] == "same" else f" — **{al['kind']}**"
        out.append(f"### {al['id']}{flag}")
        for row in al["rows"]:
            for t in row["texts"]:
                out.append(f"- *{md(row['label'])}*: {md(t)}")
        if al["missing"]:
            out.append(f"- not in: {', '.join(md(m) for m in al['missing'])}")
        out.append("")
    out += [f"## Differences inside agreement ({c['differences']})", ""]
    for d in v["differences"]:
        out.append(f"- **{d['type']}** ({d['alignment']}): {md(d['summary'])}")
        if d["type"] == "quote":
            a, b = d["details"]["a"], d["details"]["b"]
            out.append(f"  - {md(a['label'])} ({md(a['speaker'] or 'speaker unknown')}): “{md(a['text'])}”")
            out.append(f"  - {md(b['label'])} ({md(b['speaker'] or 'speaker unknown')}): “{md(b['text'])}”")
            out.append("  - words: " + " ".join(_md_op(o) for o in d["details"]["diff"]))
    out += ["", "## Only in one report", ""]
    for u in v["unique"]:
        out.append(f"### {md(u['label'])} ({len(u['texts'])})")
        out += [f"- {md(t)}" for t in u["texts"]] or ["- (nothing)"]
        out.append("")
    out += ["## People, places and organisations", "", "| entity | type | spellings (source) |", "|---|---|---|"]
    for e in v["entities"]:
        sp = "; ".join(f"{md(s['text'])} ({', '.join(md(x) for x in sorted(set(s['sources'])))})" for s in e["spellings"])
        out.append(f"| {md(e['name'])} | {e['label']} | {sp} |")
    out += ["", "---", "backends: " + ", ".join(f"{k}={md(x)}" for k, x in v["backends"].items()), ""]
    return "\n".join(out)


def _md_op(op: dict[str, str]) -> str:
    if op["op"] == "equal":
        return md(op["a"])
    if op["op"] == "delete":
        return f"~~{md(op['a'])}~~"
    if op["op"] == "insert":
        return f"**{md(op['b'])}**"
    return f"~~{md(op['a'])}~~ **{md(op['b'])}**"
