"""The report as plain sections shared by every renderer (what to show, not how)."""

from __future__ import annotations

import re
from typing import Any

from storydiff.analyze.script import language_name
from storydiff.model import Report

MAX_ENTITIES = 40  # entity panel rows; the JSON report keeps them all
SHARES_NOTHING = "shares nothing with the other reports — a different event?"
# control characters other than tab and newline (C0, DEL, C1): in article text they would reach the
# reader's terminal as escape sequences (clear screen, set title, write the clipboard)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def label(report: Report, article_id: str) -> str:
    """A short human name for an article: its outlet, else its id."""
    art = report.article(article_id)
    return art.outlet or art.id


def clean(value: Any) -> Any:
    """The value with control characters removed from every string in it (lists and dicts walked)."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def view(report: Report) -> dict[str, Any]:
    """Plain dict of the sections every format shows, in order, with no control characters in any text."""
    return clean(_view(report))  # type: ignore[no-any-return]


def _view(report: Report) -> dict[str, Any]:
    ids = [a.id for a in report.articles]
    consensus = {al.id for al in report.consensus}
    sources = []
    isolated = set(report.isolated)
    for art in report.articles:
        sig = report.machine_translated.get(art.id)
        n = sum(1 for s in report.sentences if s.article == art.id)
        sources.append({
            "id": art.id, "label": label(report, art.id), "title": art.title, "outlet": art.outlet,
            "published": art.published or "", "source": art.source, "sentences": n, "author": art.author,
            "mt": bool(sig and sig.flag), "mt_evidence": list(sig.evidence) if sig else [],
            "dropped": len(art.dropped), "url": art.url, "language": art.language or "",
            "language_name": language_name(art.language) if art.language else "unknown",
            "note": SHARES_NOTHING if art.id in isolated else "",
        })
    alignments = []
    for al in report.alignments:
        by_article: dict[str, list[str]] = {}
        for s in al.sentences:
            by_article.setdefault(s.article, []).append(s.text)
        missing = [label(report, i) for i in ids if i not in by_article]
        alignments.append({
            "id": al.id, "kind": al.kind, "score": al.score, "everyone": al.id in consensus,
            "rows": [{"label": label(report, i), "id": i, "texts": by_article[i]} for i in ids if i in by_article],
            "missing": missing, "differences": [d.to_dict() for d in al.differences],
        })
    unique: dict[str, list[str]] = {i: [] for i in ids}
    for u in report.unique:
        unique[u.article].append(u.text)
    differences = []
    for al, d in report.differences:
        item = d.to_dict()
        item["alignment"] = al.id
        for side in ("a", "b"):
            if side in item["details"]:
                item["details"][side]["label"] = label(report, item["details"][side]["article"])
        differences.append(item)
    entities = []
    for e in report.entities[:MAX_ENTITIES]:
        spellings: dict[str, list[str]] = {}
        for m in e.mentions:
            spellings.setdefault(m.text, []).append(label(report, m.article))
        entities.append({"id": e.id, "name": e.name, "label": e.label,
                         "spellings": [{"text": t, "sources": s} for t, s in spellings.items()],
                         "evidence": list(e.evidence)})
    return {
        "title": report.articles[0].title if report.articles else "",
        "n": len(ids), "sources": sources,
        "headlines": [{"label": label(report, h.article), "title": h.title, "own": list(h.own_words),
                       "shared": list(h.shared_words)} for h in report.headlines],
        "alignments": alignments, "differences": differences,
        "unique": [{"label": label(report, i), "id": i, "texts": unique[i]} for i in ids],
        "entities": entities, "backends": dict(report.backends), "schema_version": report.schema_version,
        "counts": {"alignments": len(report.alignments), "consensus": len(consensus),
                   "unique": len(report.unique), "differences": len(differences)},
    }
