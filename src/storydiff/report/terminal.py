"""Terminal report with rich: sources, headlines, differences, agreement, unique claims, entities."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from storydiff.model import Report
from storydiff.report._view import view

KIND_STYLE = {"same": "green", "variant": "yellow", "contradiction": "red"}


def renderables(report: Report) -> Group:
    """The report as rich renderables (article text is never parsed as markup)."""
    v = view(report)
    parts: list[Any] = []
    c = v["counts"]
    parts.append(Text(f"storydiff — {v['n']} reports: {c['alignments']} claims aligned ({c['consensus']} in every "
                      f"report), {c['differences']} differences, {c['unique']} sentences in one report only",
                      style="bold"))
    src = Table(title="Sources", show_lines=False, expand=True)
    for col in ("source", "lang.", "title", "published", "sent.", "notes"):
        src.add_column(col)
    for s in v["sources"]:
        notes = Text()
        if s["mt"]:
            notes.append("machine-translated? ", style="bold red")
            notes.append("; ".join(s["mt_evidence"]))
        if s["dropped"]:
            notes.append(f" {s['dropped']} boilerplate block(s) removed", style="dim")
        src.add_row(Text(s["label"]), Text(s["language"] or "?"), Text(s["title"]), Text(s["published"] or "?"), str(s["sentences"]), notes)
    parts.append(src)
    for s in v["sources"]:  # on a line of its own: a table cell would wrap it out of sight
        if s["note"]:
            parts.append(Text(f"{s['label']}: {s['note']}", style="bold yellow"))
    heads = Table(title="Headlines", expand=True, show_header=False)
    heads.add_column("source")
    heads.add_column("headline")
    for h in v["headlines"]:
        t = Text(h["title"], style="bold")
        t.append(f"\nonly this headline: {', '.join(h['own']) or '—'}", style="dim")
        heads.add_row(Text(h["label"]), t)
    parts.append(heads)
    diffs = []
    for d in v["differences"]:
        t = Text(f"[{d['type']}] ", style="bold " + ("yellow" if d["type"] == "quote" else "red"))
        t.append(d["summary"])
        if d["type"] == "quote":
            a, b = d["details"]["a"], d["details"]["b"]
            t.append(f"\n  {a['label']} ({a['speaker'] or 'speaker unknown'}) → {b['label']} ({b['speaker'] or 'speaker unknown'}): ", style="dim")
            for o in d["details"]["diff"]:
                if o["op"] in ("delete", "replace"):
                    t.append(f"[-{o['a']}-] ", style="red strike")
                if o["op"] in ("insert", "replace"):
                    t.append(f"{{+{o['b']}+}} ", style="green")
                if o["op"] == "equal":
                    t.append(o["a"] + " ")
        diffs.append(t)
    parts.append(Panel(Group(*diffs) if diffs else Text("none found", style="dim"),
                       title="Differences inside agreement", title_align="left"))
    agree = Table(title="Agreement", expand=True, show_lines=True)
    agree.add_column("#", no_wrap=True)
    for s in v["sources"]:
        agree.add_column(escape(s["label"]), ratio=1)
    for al in v["alignments"]:
        cells = []
        rows = {r["id"]: r for r in al["rows"]}
        for s in v["sources"]:
            r = rows.get(s["id"])
            cells.append(Text(" ".join(r["texts"])) if r else Text("— not reported", style="dim"))
        agree.add_row(Text(al["id"], style=KIND_STYLE[al["kind"]]), *cells)
    parts.append(agree)
    for u in v["unique"]:
        body = Group(*[Text("• " + t) for t in u["texts"]]) if u["texts"] else Text("nothing", style="dim")
        parts.append(Panel(body, title=f"Only in {u['label']} ({len(u['texts'])})", title_align="left"))
    ents = Table(title="People, places and organisations", expand=True)
    for col in ("entity", "type", "spellings (source)"):
        ents.add_column(col)
    for e in v["entities"]:
        sp = "; ".join(f"{s['text']} ({', '.join(sorted(set(s['sources'])))})" for s in e["spellings"])
        ents.add_row(Text(e["name"]), e["label"], Text(sp))
    parts.append(ents)
    parts.append(Text("backends: " + ", ".join(f"{k}={b}" for k, b in v["backends"].items()), style="dim"))
    return Group(*parts)


def render_terminal(report: Report, *, color: bool = False, width: int = 100) -> str:
    """Render the report as terminal text (ANSI colours when `color`)."""
    console = Console(width=width, record=True, force_terminal=color, color_system="standard" if color else None,
                      file=open("/dev/null", "w"))  # noqa: SIM115 - recorded, not written
    console.print(renderables(report))
    return console.export_text(styles=color)
