"""Where the Stories pages read from: a small provider interface and its adapter over the DuckDB `Store`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from storydiff.model import Article

PER_PAGE = 50  # stories per page of the list
MAX_OUTLET_CHOICES = 300  # outlets offered in the filter's suggestion list


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """The filters of the Stories page (every field optional)."""

    q: str = ""  # words in titles and bodies
    since: str = ""  # ISO date, inclusive
    until: str = ""  # ISO date, inclusive
    outlet: str = ""  # part of an outlet name
    language: str = ""  # language code as ingested


class StoryProvider(Protocol):
    """What the Stories pages need from a store of grouped articles."""

    def list_stories(self, flt: StoryFilter, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of stories, newest first, as plain dicts, and how many match in all."""
        ...

    def story(self, story_id: str) -> dict[str, Any] | None:
        """One story's summary, or None when there is no such story."""
        ...

    def story_articles(self, story_id: str) -> tuple[list[Article], int]:
        """The independent reports of a story in arrival order, and how many copies were left out."""
        ...

    def facets(self) -> dict[str, list[str]]:
        """Values the filters can offer: outlets and languages."""
        ...


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clean_filter(params: dict[str, str]) -> tuple[StoryFilter, list[str]]:
    """A StoryFilter from query parameters, dropping malformed dates with a message for each."""
    errors = []
    dates = {}
    for key in ("since", "until"):
        value = (params.get(key) or "").strip()
        if value and not _DATE.match(value):
            errors.append(f"{key}: {value[:40]!r} is not a date (use YYYY-MM-DD)")
            value = ""
        dates[key] = value
    return StoryFilter(q=(params.get("q") or "").strip()[:200], outlet=(params.get("outlet") or "").strip()[:200],
                       language=(params.get("language") or "").strip()[:20], **dates), errors


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class StoreStories:
    """StoryProvider over `storydiff.store.Store`, reading its documented tables (docs/store.md)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _where(self, flt: StoryFilter) -> tuple[str, list[Any]]:
        where, params = ["TRUE"], []  # type: ignore[var-annotated]
        article_conds, article_params = [], []  # type: ignore[var-annotated]
        if flt.since:
            article_conds.append("published_date >= ?::DATE")
            article_params.append(flt.since)
        if flt.until:
            article_conds.append("published_date <= ?::DATE")
            article_params.append(flt.until)
        if flt.outlet:
            article_conds.append("outlet ILIKE ? ESCAPE '\\'")
            article_params.append(_like(flt.outlet))
        if flt.language:
            article_conds.append("language = ?")
            article_params.append(flt.language)
        if flt.q:
            for word in flt.q.split()[:8]:
                article_conds.append("(title ILIKE ? ESCAPE '\\' OR body ILIKE ? ESCAPE '\\')")
                article_params += [_like(word)] * 2
        if article_conds:
            where.append(f"s.id IN (SELECT story_id FROM articles WHERE {' AND '.join(article_conds)})")
            params += article_params
        return " AND ".join(where), params

    def list_stories(self, flt: StoryFilter, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of stories, newest first, with their outlets, and the total count."""
        where, params = self._where(flt)
        sql = f"""SELECT s.id, s.title, s.first_seen, s.last_seen, s.articles, s.reports, s.outlets,
                         count(*) OVER () AS total
                  FROM stories s WHERE {where}
                  ORDER BY s.first_seen DESC NULLS LAST, s.first_seq DESC
                  LIMIT {int(limit)} OFFSET {int(offset)}"""
        with self.store.connect() as con:
            rows = con.execute(sql, params).fetchall()
            ids = [r[0] for r in rows]
            outlets: dict[str, list[str]] = {}
            if ids:
                for sid, names in con.execute(
                    "SELECT story_id, list(DISTINCT outlet ORDER BY outlet) FROM articles "
                    "WHERE story_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY story_id", [ids]).fetchall():
                    outlets[sid] = [o for o in names or () if o]
            total = rows[0][7] if rows else 0
            if not rows and offset:
                total = con.execute(f"SELECT count(*) FROM stories s WHERE {where}", params).fetchone()[0]
        return [{"id": r[0], "title": r[1] or "(untitled)", "first_seen": r[2] or "", "last_seen": r[3] or "",
                 "articles": r[4], "reports": r[5], "outlets": r[6], "outlet_names": outlets.get(r[0], [])}
                for r in rows], int(total)

    def story(self, story_id: str) -> dict[str, Any] | None:
        """One story's summary row, or None."""
        with self.store.connect() as con:
            r = con.execute("SELECT id, title, first_seen, last_seen, articles, reports, outlets "
                            "FROM stories WHERE id = ?", [story_id]).fetchone()
        if r is None:
            return None
        return {"id": r[0], "title": r[1] or "(untitled)", "first_seen": r[2] or "", "last_seen": r[3] or "",
                "articles": r[4], "reports": r[5], "outlets": r[6]}

    def story_articles(self, story_id: str) -> tuple[list[Article], int]:
        """The story's independent reports (copies excluded) and the number of copies."""
        stored = self.store.articles(story_id=story_id)
        independent = [s.article for s in stored if s.duplicate_of is None]
        return independent, len(stored) - len(independent)

    def facets(self) -> dict[str, list[str]]:
        """The most common outlets and every language, for the filter form."""
        with self.store.connect() as con:
            outlets = [r[0] for r in con.execute(
                "SELECT outlet FROM articles WHERE outlet IS NOT NULL AND outlet <> '' GROUP BY outlet "
                f"ORDER BY count(*) DESC, outlet LIMIT {MAX_OUTLET_CHOICES}").fetchall()]
            languages = [r[0] for r in con.execute(
                "SELECT DISTINCT language FROM articles WHERE language IS NOT NULL AND language <> '' "
                "ORDER BY language").fetchall()]
        return {"outlets": sorted(outlets, key=str.casefold), "languages": languages}
