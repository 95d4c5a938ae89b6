"""Where the Stories pages read from: a small provider interface and its adapter over the DuckDB `Store`."""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from storydiff.analyze.script import language_name
from storydiff.errors import StoreError
from storydiff.model import Article
from storydiff.report._view import clean

PER_PAGE = 50  # stories per page of the list
MAX_OUTLET_CHOICES = 300  # outlets offered in the filter's suggestion list
MAX_SEARCH_WORDS = 8  # words of the search box used (all must occur in one article)
MAX_LISTED_IN_MEMORY = 200_000  # stories whose list rows the snapshot also keeps as Python tuples (~200 B each)
LIST_COLUMNS = ("s.id, s.title, s.first_seen, s.last_seen, s.articles, s.reports, s.outlets, s.mt_flagged, "
                "s.outlet_names, s.languages")
_LIVE_MT = "(SELECT coalesce(bool_or(a.mt_flag), false) FROM articles a WHERE a.story_id = s.id)"  # no snapshot
MAX_CACHED_FILTERS = 512  # word or filter value -> matching stories, kept per snapshot (8 bytes a story)
REFRESH_CHECK_S = 2.0  # seconds between two checks of whether the store file changed (at least)
SNAPSHOT_SHARE = 10.0  # ... and at least this many times the last snapshot's build time (a tenth of a core at most)
SNAPSHOT_RETRIES = 10  # attempts to open a file the ingest is writing (0.05 s, 0.1 s, ... apart: 2.25 s in all)


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """The filters of the Stories page (every field optional)."""

    q: str = ""  # words in titles and bodies
    since: str = ""  # ISO date, inclusive
    until: str = ""  # ISO date, inclusive
    outlet: str = ""  # part of an outlet name
    language: str = ""  # language code as ingested
    mt: bool = False  # only stories with a report flagged as machine-translated (`storydiff mt-check`)


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

    def facets(self) -> dict[str, Any]:
        """Values the filters can offer: outlets, languages, and how many reports are checked for MT."""
        ...


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value: str) -> bool:
    """True for a real calendar day written YYYY-MM-DD."""
    from datetime import date

    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def clean_filter(params: dict[str, str]) -> tuple[StoryFilter, list[str]]:
    """A StoryFilter from query parameters, dropping malformed dates with a message for each."""
    errors = []
    dates = {}
    for key in ("since", "until"):
        value = (params.get(key) or "").strip()
        if value and not _is_date(value):
            errors.append(f"{key}: {value[:40]!r} is not a date (use YYYY-MM-DD)")
            value = ""
        dates[key] = value
    return StoryFilter(q=(params.get("q") or "").strip()[:200], outlet=(params.get("outlet") or "").strip()[:200],
                       language=(params.get("language") or "").strip()[:20],
                       mt=(params.get("mt") or "").strip().lower() in ("1", "on", "true", "yes"), **dates), errors


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class StoreStories:
    """StoryProvider over `storydiff.store.Store`, reading its documented tables (docs/store.md).

    Pages read an in-memory snapshot of the file, taken again when the file changes (checked at most every
    `REFRESH_CHECK_S`): opening the DuckDB file costs ~25 ms a time, and a connection held open would lock
    `storydiff ingest` out of the file for as long as the server runs.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self.path = str(getattr(store, "path", ""))
        self._lock = threading.Lock()
        self._mem: Any = None
        self._listing: tuple[Any, list[tuple[Any, ...]] | None] = (None, None)  # (snapshot, its stories in order)
        self._atoms: OrderedDict[tuple[int, StoryFilter], Any] = OrderedDict()  # one filter value -> ords
        self._atoms_lock = threading.Lock()
        self._stamp: tuple[float, ...] | None = None
        self._checked = 0.0
        self._build_s = 0.0  # seconds the last snapshot took
        self.version = 0  # bumped at every new snapshot (caches key on it)

    # --- the snapshot ----------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[float, ...]:
        stamp: list[float] = []
        for p in (self.path, self.path + ".wal"):
            try:
                st = os.stat(p)
                stamp += [st.st_mtime_ns, st.st_size]
            except OSError:
                stamp += [0, 0]
        return tuple(stamp)

    def _snapshot(self) -> Any:
        import duckdb

        mem = duckdb.connect(":memory:", config={"threads": 1})  # small queries: threads only add overhead
        literal = "'" + self.path.replace("'", "''") + "'"  # the user's own --db argument, never content
        for attempt in range(SNAPSHOT_RETRIES):
            try:
                mem.execute(f"ATTACH {literal} AS src (READ_ONLY)")
                break
            except duckdb.Error:
                if attempt == SNAPSHOT_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        try:
            # bodies stay in the file (a story page reads its own); the snapshot keeps what the list needs
            mem.execute("CREATE TABLE articles AS SELECT story_id, outlet, language, duplicate_of IS NULL AS independent, "
                        "mt_score, mt_flag FROM src.articles")
            # one row per story with what the filters look at, so no filter has to scan the articles
            mem.execute("""CREATE TABLE stories AS
                           SELECT s.*, row_number() OVER (ORDER BY s.first_seen DESC NULLS LAST, s.first_seq DESC) AS ord,
                                  a.outlet_names, a.outlets_text, a.languages, a.first_date, a.last_date,
                                  coalesce(a.mt_flagged, false) AS mt_flagged,
                                  -- each distinct word once: a search word (never holding a space) matches the
                                  -- same stories, and the scan reads a fraction of the text
                                  array_to_string(list_distinct(string_split_regex(a.haystack, '\\s+')), ' ')
                                      AS haystack
                           FROM src.stories s LEFT JOIN (
                               SELECT story_id,
                                      list(DISTINCT outlet ORDER BY outlet) FILTER (WHERE outlet <> '') AS outlet_names,
                                      lower(string_agg(DISTINCT outlet, chr(10))) AS outlets_text,
                                      list(DISTINCT language) FILTER (WHERE language <> '') AS languages,
                                      min(published_date) AS first_date, max(published_date) AS last_date,
                                      bool_or(mt_flag) AS mt_flagged,
                                      lower(string_agg(coalesce(title, '') || ' ' || coalesce(body, ''), ' ')
                                            FILTER (WHERE duplicate_of IS NULL)) AS haystack  -- copies repeat it
                               FROM src.articles GROUP BY story_id) a ON a.story_id = s.id""")
        finally:
            mem.execute("DETACH src")
        mem.execute("CREATE INDEX snap_articles_story ON articles (story_id)")
        mem.execute("CREATE INDEX snap_stories_id ON stories (id)")
        mem.execute("CREATE INDEX snap_stories_ord ON stories (ord)")
        return mem

    def fresh_version(self) -> int | None:
        """The snapshot's version when no check of the file is due (no I/O, no lock), else None."""
        if self._mem is not None and time.monotonic() - self._checked <= self._gap():
            return self.version
        return None

    def _gap(self) -> float:
        """Seconds between two checks of the file: a big store is snapshotted less often while it changes."""
        return max(REFRESH_CHECK_S, SNAPSHOT_SHARE * self._build_s)

    def refresh(self) -> int | None:
        """Snapshot again if the file changed (checked at most every REFRESH_CHECK_S); the snapshot's version.

        None for an in-memory store, which is read live: pages over it are never cached.
        """
        if not self.path or self.path == ":memory:":
            return None
        if self._mem is None or time.monotonic() - self._checked > self._gap():
            with self._lock:
                if self._mem is None or time.monotonic() - self._checked > self._gap():
                    if self._mem is not None:
                        self._checked = time.monotonic()  # meanwhile the others keep reading the old snapshot
                    stamp = self._file_stamp()
                    if stamp != self._stamp:
                        started = time.monotonic()
                        try:
                            mem = self._snapshot()
                        except Exception as exc:  # duckdb.Error, OSError: keep serving the old snapshot
                            if self._mem is None:
                                raise StoreError(f"{self.path}: cannot read the store ({exc})") from None
                            return self.version
                        self._listing = (mem, self._ordered(mem))
                        self._build_s = time.monotonic() - started
                        with self._atoms_lock:
                            self._atoms.clear()
                        self._mem, self._stamp = mem, stamp
                        self.version += 1
                    self._checked = time.monotonic()
        return self.version

    @staticmethod
    def _ordered(mem: Any) -> list[tuple[Any, ...]] | None:
        """Every story's list row in display order, kept in memory when there are not too many."""
        if mem.execute("SELECT count(*) FROM stories").fetchone()[0] > MAX_LISTED_IN_MEMORY:
            return None
        return mem.execute(f"SELECT {LIST_COLUMNS} FROM stories s ORDER BY s.ord").fetchall()  # type: ignore[no-any-return]

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if not self.path or self.path == ":memory:":
            with self.store.connect() as con:  # an in-memory store: nothing to snapshot
                yield con
            return
        self.refresh()
        cur = self._mem.cursor()
        try:
            yield cur
        finally:
            cur.close()

    # --- queries ---------------------------------------------------------------------------------

    def _where(self, flt: StoryFilter, snapshot: bool) -> tuple[str, list[Any]]:
        """SQL conditions on `stories s`: the snapshot's per-story columns, else a subquery over `articles`."""
        where, params = ["TRUE"], []  # type: ignore[var-annotated]
        if snapshot:  # a story matches when its articles, together, meet every filter
            if flt.since:
                where.append("s.last_date >= ?::DATE")
                params.append(flt.since)
            if flt.until:
                where.append("s.first_date <= ?::DATE")
                params.append(flt.until)
            if flt.outlet:
                where.append("contains(s.outlets_text, ?)")
                params.append(flt.outlet.lower())
            if flt.language:
                where.append("list_contains(s.languages, ?)")
                params.append(flt.language)
            if flt.mt:
                where.append("s.mt_flagged")
            for word in flt.q.split()[:MAX_SEARCH_WORDS]:
                where.append("contains(s.haystack, ?)")
                params.append(word.lower())
            return " AND ".join(where), params
        conds, cond_params = [], []  # type: ignore[var-annotated]
        if flt.since:
            conds.append("published_date >= ?::DATE")
            cond_params.append(flt.since)
        if flt.until:
            conds.append("published_date <= ?::DATE")
            cond_params.append(flt.until)
        if flt.outlet:
            conds.append("outlet ILIKE ? ESCAPE '\\'")
            cond_params.append(_like(flt.outlet))
        if flt.language:
            conds.append("language = ?")
            cond_params.append(flt.language)
        if flt.mt:
            conds.append("mt_flag")
        for word in flt.q.split()[:MAX_SEARCH_WORDS]:
            conds.append("(title ILIKE ? ESCAPE '\\' OR body ILIKE ? ESCAPE '\\')")
            cond_params += [_like(word)] * 2
        if conds:
            where.append(f"s.id IN (SELECT story_id FROM articles WHERE {' AND '.join(conds)})")
            params += cond_params
        return " AND ".join(where), params

    def list_stories(self, flt: StoryFilter, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of stories, newest first, with their outlets, and the total count."""
        with self._connect() as con:
            snapshot = self._mem is not None and bool(self.path) and self.path != ":memory:"
            where, params = self._where(flt, snapshot)
            mem, ordered = self._listing
            if snapshot and ordered is not None and mem is self._mem:  # rows in memory: the query gives positions
                if where == "TRUE":
                    return self._rows(ordered[offset: offset + limit]), len(ordered)
                hits = self._matches(con, mem, flt)
                return self._rows([ordered[int(k) - 1] for k in hits[offset: offset + limit]]), len(hits)
            if snapshot:  # one pass gives the page and the count of every match
                rows = con.execute(f"""SELECT {LIST_COLUMNS}, count(*) OVER () FROM stories s WHERE {where}
                                       ORDER BY s.ord LIMIT {int(limit)} OFFSET {int(offset)}""", params).fetchall()
                if rows or not offset:
                    return self._rows(rows), int(rows[0][10]) if rows else 0
            else:
                rows = con.execute(
                    f"""SELECT {LIST_COLUMNS.replace("s.outlet_names, s.languages", "").replace("s.mt_flagged", _LIVE_MT)}
                               (SELECT list(DISTINCT a.outlet ORDER BY a.outlet) FROM articles a
                                WHERE a.story_id = s.id AND a.outlet <> ''),
                               (SELECT list(DISTINCT a.language ORDER BY a.language) FROM articles a
                                WHERE a.story_id = s.id AND a.language <> '')
                        FROM stories s WHERE {where}
                        ORDER BY s.first_seen DESC NULLS LAST, s.first_seq DESC
                        LIMIT {int(limit)} OFFSET {int(offset)}""", params).fetchall()
            total = con.execute(f"SELECT count(*) FROM stories s WHERE {where}", params).fetchone()[0]
        return self._rows(rows), int(total)

    def _matches(self, con: Any, mem: Any, flt: StoryFilter) -> Any:
        """Positions (ord) of the stories meeting every filter: the intersection of one cached array per
        word or filter value, so a repeated word or outlet costs no scan."""
        import numpy as np

        atoms = [StoryFilter(q=w) for w in dict.fromkeys(flt.q.lower().split()[:MAX_SEARCH_WORDS])]
        for name in ("since", "until", "outlet", "language", "mt"):
            if getattr(flt, name):
                atoms.append(StoryFilter(**{name: getattr(flt, name)}))
        arrays = []
        for atom in atoms:
            key = (id(mem), atom)
            with self._atoms_lock:
                hit = self._atoms.get(key)
                if hit is not None:
                    self._atoms.move_to_end(key)
            if hit is None:
                where, params = self._where(atom, True)
                hit = np.fromiter((r[0] for r in con.execute(f"SELECT s.ord FROM stories s WHERE {where}",
                                                             params).fetchall()), dtype=np.int64)
                hit.sort()
                with self._atoms_lock:
                    self._atoms[key] = hit
                    while len(self._atoms) > MAX_CACHED_FILTERS:
                        self._atoms.popitem(last=False)
            arrays.append(hit)
        arrays.sort(key=len)  # intersect the rarest first
        out = arrays[0]
        for arr in arrays[1:]:
            if not len(out):
                break
            out = np.intersect1d(out, arr, assume_unique=True)
        return out

    @staticmethod
    def _rows(rows: list[Any]) -> list[dict[str, Any]]:
        return [{"id": r[0], "title": clean(r[1] or "(untitled)"), "first_seen": r[2] or "", "last_seen": r[3] or "",
                 "articles": r[4], "reports": r[5], "outlets": r[6], "mt": bool(r[7]),
                 "outlet_names": [clean(o) for o in r[8] or () if o], "languages": sorted(clean(x) for x in r[9] or () if x)}
                for r in rows]

    def story(self, story_id: str) -> dict[str, Any] | None:
        """One story's summary row, or None."""
        with self._connect() as con:
            r = con.execute("SELECT id, title, first_seen, last_seen, articles, reports, outlets "
                            "FROM stories WHERE id = ?", [story_id]).fetchone()
        if r is None:
            return None
        return {"id": r[0], "title": clean(r[1] or "(untitled)"), "first_seen": r[2] or "", "last_seen": r[3] or "",
                "articles": r[4], "reports": r[5], "outlets": r[6]}

    def story_articles(self, story_id: str) -> tuple[list[Article], int]:
        """The story's independent reports (copies excluded) in arrival order, and the number of copies."""
        stored = self.store.articles(story_id=story_id)  # from the file: the snapshot holds no bodies
        independent = [s.article for s in stored if s.duplicate_of is None]
        return independent, len(stored) - len(independent)

    def facets(self) -> dict[str, Any]:
        """The most common outlets and every language, for the filter form."""
        with self._connect() as con:
            outlets = [r[0] for r in con.execute(
                "SELECT outlet FROM articles WHERE outlet IS NOT NULL AND outlet <> '' GROUP BY outlet "
                f"ORDER BY count(*) DESC, outlet LIMIT {MAX_OUTLET_CHOICES}").fetchall()]
            languages = [r[0] for r in con.execute(
                "SELECT DISTINCT language FROM articles WHERE language IS NOT NULL AND language <> '' "
                "ORDER BY language").fetchall()]
            checked, unchecked = con.execute(
                "SELECT count(mt_score), count(*) FILTER (WHERE mt_score IS NULL) FROM articles "
                + ("WHERE independent" if self._mem is not None else "WHERE duplicate_of IS NULL")).fetchone()
        return {"outlets": sorted(outlets, key=str.casefold), "languages": languages,
                "language_names": {code: f"{language_name(code)} ({code})" for code in languages},
                "mt_checked": int(checked), "mt_unchecked": int(unchecked)}
