"""Each page as a plain dict: the same dict renders as HTML or, with `.json`, as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from storydiff.model import Report
from storydiff.report._view import clean, view
from storydiff.report.html import columns
from storydiff.web.uploads import MAX_FILE_BYTES, MAX_REQUEST_BYTES, MAX_SOURCES, PASTE_BOXES, human_bytes

EXPORTS = {"json": "report.json", "markdown": "report.md", "html": "report.html"}  # format -> file name


def safe_url(url: str) -> str:
    """The URL when it is plain http(s), else "" (a `javascript:` link from an article is never a link)."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in ("http", "https") else ""


def _when(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return dt.replace(tzinfo=None)


def timeline(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who published when: sources in publication order (unknown times last), with the lag after the first."""
    dated: list[tuple[datetime, dict[str, Any]]] = []
    for s in sources:
        when = _when(s["published"])
        if when is not None:
            dated.append((when, s))
    dated.sort(key=lambda x: x[0])
    out = []
    for k, (when, s) in enumerate(dated):
        hours = (when - dated[0][0]).total_seconds() / 3600
        out.append({"label": s["label"], "id": s["id"], "published": s["published"], "first": k == 0,
                    "lag": "first" if k == 0 else (f"+{hours:.0f} h" if hours < 48 else f"+{hours / 24:.0f} d")})
    out += [{"label": s["label"], "id": s["id"], "published": "", "first": False, "lag": "time unknown"}
            for s in sources if not _when(s["published"])]
    return out


def story_view(report: Report, *, base: str, title: str = "", warnings: list[str] | None = None,
               back: str = "") -> dict[str, Any]:
    """The side-by-side page of one comparison; `base` is its URL (exports hang under it)."""
    v = view(report)
    diffs_by_al: dict[str, list[dict[str, str]]] = {}
    for d in v["differences"]:
        diffs_by_al.setdefault(d["alignment"], []).append({"type": d["type"], "summary": d["summary"]})
    sizes = {al["id"]: len(al["rows"]) for al in v["alignments"]}
    cols = []
    anchored: set[str] = set()  # the first sentence of each alignment carries its #al-… anchor
    for col, src in zip(columns(report), v["sources"], strict=True):
        paragraphs = []
        for para in col["paragraphs"]:  # type: ignore[attr-defined]
            row = []
            for s in para:
                al = str(s["alignment"])
                row.append({**s, "differences": diffs_by_al.get(al, []), "partners": sizes.get(al, 1) - 1,
                            "anchor": bool(al) and al not in anchored})
                anchored.add(al)
            paragraphs.append(row)
        cols.append({"id": col["id"], "label": src["label"], "title": src["title"], "published": src["published"],
                     "subtitle": report.article(str(col["id"])).subtitle, "author": src["author"],
                     "mt": src["mt"], "url": safe_url(src["url"]), "paragraphs": paragraphs})
    for s in v["sources"]:
        s["url"] = safe_url(s["url"])
    return clean({  # the subtitle and page title come straight from the articles
        "page": "story", "title": title or v["title"] or "comparison", "base": base, "back": back,
        "warnings": list(warnings or []),
        "exports": {fmt: f"{base}/{name}" for fmt, name in EXPORTS.items()},
        "counts": v["counts"], "sources": v["sources"], "headlines": v["headlines"],
        "differences": v["differences"], "columns": cols, "unique": v["unique"], "entities": v["entities"],
        "timeline": timeline(v["sources"]), "backends": v["backends"], "schema_version": v["schema_version"],
    })  # type: ignore[no-any-return]


def compare_form(*, errors: list[str] | None = None, texts: list[dict[str, str]] | None = None,
                 has_store: bool = False) -> dict[str, Any]:
    """The compare form, refilled with what the user typed when it comes back with errors."""
    boxes = list(texts or [])
    while len(boxes) < PASTE_BOXES:
        boxes.append({"outlet": "", "published": "", "text": ""})
    return {
        "page": "compare", "title": "Compare reports", "errors": list(errors or []), "boxes": boxes,
        "has_store": has_store,
        "limits": {"file": human_bytes(MAX_FILE_BYTES), "request": human_bytes(MAX_REQUEST_BYTES),
                   "sources": MAX_SOURCES},
    }


def page_links(path: str, params: dict[str, str], page: int, pages: int) -> dict[str, str]:
    """URLs of the previous and next pages, keeping the filters."""
    def at(n: int) -> str:
        kept = {k: v for k, v in params.items() if v and k != "page"}
        if n > 1:
            kept["page"] = str(n)
        return path + ("?" + urlencode(kept) if kept else "")

    return {"prev": at(page - 1) if page > 1 else "", "next": at(page + 1) if page < pages else ""}
