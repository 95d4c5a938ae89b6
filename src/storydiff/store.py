"""The store: one DuckDB file holding articles, their copies and their stories (schema in docs/store.md).

One writer at a time: a `Store` opens its connection only for the length of one read or one written
batch, so `storydiff stories` (read-only) keeps working while an ingest runs. A process that finds
the file locked by the other side waits (up to `LOCK_TIMEOUT_S`) and retries.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from storydiff.errors import StoreError
from storydiff.model import Article

DEFAULT_PATH = "storydiff.duckdb"  # in the working directory
ENV_VAR = "STORYDIFF_DB"  # overrides the default path
LOCK_TIMEOUT_S = 60.0  # seconds to wait for the other process to release the file
LOCK_RETRY_S = 0.02  # seconds between two attempts to open a locked file (doubles up to LOCK_RETRY_MAX_S)
LOCK_RETRY_MAX_S = 0.25  # seconds; short, so a reader slips in between two batch writes
MEMORY = ":memory:"


@dataclass(frozen=True, slots=True)
class Migration:
    """One registered schema change: applied once, in a transaction, recorded in `schema_migrations`."""

    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, inputs, stories, state",
        (
            """CREATE TABLE articles (
                id VARCHAR PRIMARY KEY,      -- 'a' + hash of url, outlet, title and body
                seq BIGINT NOT NULL,         -- order of arrival in the store
                url VARCHAR, outlet VARCHAR, title VARCHAR, subtitle VARCHAR, author VARCHAR,
                published VARCHAR,           -- as the input gave it (ISO date or datetime)
                published_date DATE,         -- its calendar day, when it parses
                language VARCHAR, body VARCHAR, source VARCHAR, extractor VARCHAR,
                story_id VARCHAR,            -- the story it belongs to
                duplicate_of VARCHAR,        -- the first-seen copy it reprints (NULL: an independent report)
                similarity DOUBLE,           -- estimated similarity to that copy
                edits JSON,                  -- what this copy changed, as the dedupe stage described it
                ingested_at TIMESTAMP DEFAULT current_timestamp
            )""",
            """CREATE TABLE inputs (
                input_hash VARCHAR PRIMARY KEY,  -- hash of the raw input (file bytes, JSON line, WARC payload)
                article_id VARCHAR NOT NULL,     -- the article it produced
                source VARCHAR                   -- where it was first read (path, path:line, path@offset)
            )""",
            """CREATE TABLE stories (
                id VARCHAR PRIMARY KEY,
                title VARCHAR,                   -- the headline of its first independent report
                first_seen VARCHAR, last_seen VARCHAR,
                articles INTEGER,                -- every article, copies included
                reports INTEGER,                 -- independent reports (copies excluded)
                outlets INTEGER,                 -- distinct outlets
                first_seq BIGINT, last_seq BIGINT
            )""",
            """CREATE TABLE state (
                key VARCHAR PRIMARY KEY,         -- e.g. the clusterer's saved index
                value BLOB
            )""",
            "CREATE INDEX articles_story ON articles (story_id)",
        ),
    ),
    Migration(
        2,
        "machine-translation check of each article",
        (
            "ALTER TABLE articles ADD COLUMN mt_score DOUBLE",  # NULL: not checked yet (`storydiff mt-check`)
            "ALTER TABLE articles ADD COLUMN mt_flag BOOLEAN",  # the score reached the flag level
            "ALTER TABLE articles ADD COLUMN mt_evidence JSON",  # what a reader can check, as a list of lines
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

ARTICLE_COLUMNS = {
    "id": "VARCHAR", "seq": "BIGINT", "url": "VARCHAR", "outlet": "VARCHAR", "title": "VARCHAR",
    "subtitle": "VARCHAR", "author": "VARCHAR", "published": "VARCHAR", "published_date": "DATE",
    "language": "VARCHAR", "body": "VARCHAR", "source": "VARCHAR", "extractor": "VARCHAR",
    "story_id": "VARCHAR", "duplicate_of": "VARCHAR", "similarity": "DOUBLE", "edits": "VARCHAR",
}
TABLES = ("articles", "stories", "inputs", "state", "schema_migrations")
EXPORT_FORMATS = ("jsonl", "parquet")


def default_path() -> str:
    """The store path: $STORYDIFF_DB, else ./storydiff.duckdb."""
    return os.environ.get(ENV_VAR) or DEFAULT_PATH


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store keeps it: the Article plus its place among copies and stories."""

    article: Article
    story_id: str | None = None
    duplicate_of: str | None = None  # id of the first-seen copy this one reprints
    similarity: float | None = None
    edits: Any = None  # JSON-ready description of what the copy changed
    input_hash: str = ""  # hash of the raw input it came from
    seq: int = 0


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One line of `storydiff stories`."""

    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    articles: int
    reports: int
    outlets: int
    outlet_names: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # languages of its reports, most reports first


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one ingest batch writes, committed in one transaction."""

    articles: Sequence[StoredArticle] = ()
    inputs: Sequence[tuple[str, str, str]] = ()  # (input_hash, article_id, source) of exact repeats
    state: dict[str, bytes] = field(default_factory=dict)
    merges: Sequence[tuple[str, str]] = ()  # (absorbed story id, surviving story id), applied in order


def _published_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _locked(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class Store:
    """One DuckDB file of articles and stories; connections are opened per operation (see module doc)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = str(path) if path is not None else default_path()
        self.read_only = read_only
        self.timeout = timeout
        self._memory: duckdb.DuckDBPyConnection | None = None
        if self.path == MEMORY:
            if read_only:
                raise StoreError("an in-memory store cannot be read-only")
            self._memory = duckdb.connect(MEMORY)
        if read_only:
            if not Path(self.path).is_file():
                raise StoreError(f"{self.path}: no store here (run `storydiff ingest` first, or pass --db)")
            with self.connect() as con:
                self._check_version(con)
        else:
            self.migrate()

    # --- connections -------------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one operation, waiting while another process holds the file."""
        if self._memory is not None:
            yield self._memory
            return
        con = self._open()
        try:
            yield con
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: {' '.join(str(exc).split())[:300]}") from exc
        finally:
            con.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.timeout
        pause = LOCK_RETRY_S
        while True:
            try:
                return duckdb.connect(self.path, read_only=self.read_only)
            except duckdb.Error as exc:
                if not _locked(exc):
                    raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{self.path}: locked by another process for over {self.timeout:.0f} s"
                    ) from None
            time.sleep(pause)
            pause = min(pause * 2, LOCK_RETRY_MAX_S)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside BEGIN … COMMIT (ROLLBACK on any error)."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold PATH.lock for a whole ingest: a second ingest on the same file fails at once.

        A POSIX record lock: forked workers do not inherit it and the kernel drops it when the process dies.
        """
        if self._memory is not None:
            yield
            return
        import fcntl

        with open(self.path + ".lock", "a+b") as fh:
            try:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise StoreError(f"{self.path}: another ingest is writing to this store") from None
            try:
                yield
            finally:
                fcntl.lockf(fh, fcntl.LOCK_UN)

    # --- schema --------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply the registered migrations this file lacks, each in its own transaction; return them."""
        applied: list[int] = []
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
            )
            done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
            if done and max(done) > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {max(done)} is newer than this storydiff "
                                 f"understands ({SCHEMA_VERSION}); upgrade storydiff")
            for mig in MIGRATIONS:
                if mig.version in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                try:
                    for statement in mig.statements:
                        con.execute(statement)
                    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                                [mig.version, mig.name])
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                applied.append(mig.version)
        return applied

    def _check_version(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        except duckdb.CatalogException:
            raise StoreError(f"{self.path}: not a storydiff store (no schema_migrations table)") from None
        found = version[0] if version else None
        if found is None or found < SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {found} is older than {SCHEMA_VERSION}; "
                             "run `storydiff ingest` on it once to migrate")
        if found > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {found} is newer than this storydiff "
                             f"understands ({SCHEMA_VERSION}); upgrade storydiff")

    @property
    def schema_version(self) -> int:
        """The highest migration applied to the file."""
        with self.connect() as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # --- writing -------------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Write one batch in one transaction; articles and inputs already stored are left unchanged."""
        with self.transaction() as con:
            self._write(con, batch)

    def _write(self, con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
        if batch.articles:
            start = con.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0]  # type: ignore[index]
            rows = [self._article_row(item, start + i + 1) for i, item in enumerate(batch.articles)]
            self._insert_json(con, "articles", rows, ARTICLE_COLUMNS)
            inputs = [(s.input_hash, s.article.id, s.article.source) for s in batch.articles if s.input_hash]
        else:
            inputs = []
        inputs += list(batch.inputs)
        if inputs:
            self._insert_json(con, "inputs", [dict(zip(("input_hash", "article_id", "source"), r,
                                                       strict=True)) for r in inputs],
                              {"input_hash": "VARCHAR", "article_id": "VARCHAR", "source": "VARCHAR"})
        for key, value in batch.state.items():
            con.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", [key, value])
        touched = {s.story_id for s in batch.articles if s.story_id}
        for absorbed, surviving in batch.merges:
            con.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [surviving, absorbed])
            con.execute("DELETE FROM stories WHERE id = ?", [absorbed])
            touched.discard(absorbed)
            touched.add(surviving)
        if touched:
            self._refresh_stories(con, sorted(touched))

    @staticmethod
    def _article_row(item: StoredArticle, seq: int) -> dict[str, Any]:
        art = item.article
        return {
            "id": art.id, "seq": seq, "url": art.url, "outlet": art.outlet, "title": art.title,
            "subtitle": art.subtitle, "author": art.author, "published": art.published,
            "published_date": _published_date(art.published), "language": art.language,
            "body": art.body, "source": art.source, "extractor": art.extractor,
            "story_id": item.story_id, "duplicate_of": item.duplicate_of, "similarity": item.similarity,
            "edits": None if item.edits is None else json.dumps(item.edits, ensure_ascii=False),
        }

    @staticmethod
    def _insert_json(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
                     columns: dict[str, str]) -> None:
        """Bulk insert through a temporary JSON Lines file (much faster than executemany in DuckDB)."""
        fd, tmp = tempfile.mkstemp(prefix="storydiff-", suffix=".jsonl")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
            names = ", ".join(columns)
            con.execute(
                f"INSERT OR IGNORE INTO {table} ({names}) SELECT {names} FROM read_json(?, columns={spec}, "
                "format='newline_delimited', maximum_object_size=268435456)",
                [tmp],
            )
        finally:
            os.unlink(tmp)

    @staticmethod
    def _refresh_stories(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str]) -> None:
        """Recompute the summary rows of these stories from their articles."""
        con.execute(
            """INSERT OR REPLACE INTO stories
               SELECT story_id,
                      arg_min(title, CASE WHEN duplicate_of IS NULL THEN seq ELSE seq + 1e15 END),
                      min(published), max(published), count(*),
                      count(*) FILTER (WHERE duplicate_of IS NULL), count(DISTINCT outlet),
                      min(seq), max(seq)
               FROM articles WHERE story_id IN (SELECT unnest(?::VARCHAR[]))
               GROUP BY story_id""",
            [list(story_ids)],
        )

    # --- reading -------------------------------------------------------------------------------

    def known_inputs(self, hashes: Iterable[str]) -> set[str]:
        """The input hashes among these that the store has already ingested."""
        wanted = list(set(hashes))
        if not wanted:
            return set()
        with self.connect() as con:
            rows = con.execute("SELECT input_hash FROM inputs WHERE input_hash IN (SELECT unnest(?::VARCHAR[]))",
                               [wanted]).fetchall()
        return {r[0] for r in rows}

    def known_articles(self, ids: Iterable[str]) -> set[str]:
        """The article ids among these that the store already holds."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        with self.connect() as con:
            rows = con.execute("SELECT id FROM articles WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                               [wanted]).fetchall()
        return {r[0] for r in rows}

    def known_stories(self, ids: Iterable[str]) -> set[str]:
        """The story ids among these that the store already holds."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        with self.connect() as con:
            rows = con.execute("SELECT id FROM stories WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                               [wanted]).fetchall()
        return {r[0] for r in rows}

    def story_ids(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The story of each of these stored articles."""
        wanted = list(set(article_ids))
        if not wanted:
            return {}
        with self.connect() as con:
            rows = con.execute("SELECT id, story_id FROM articles WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                               [wanted]).fetchall()
        return {r[0]: r[1] for r in rows if r[1]}

    def get_state(self, key: str) -> bytes | None:
        """A saved blob (e.g. the clusterer's index), or None."""
        with self.connect() as con:
            row = con.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return bytes(row[0]) if row else None

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self.connect() as con:
            return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                    for t in TABLES}

    def stories(self, *, search: str | None = None, since: str | None = None, outlet: str | None = None,
                language: str | None = None, limit: int | None = None) -> list[StoryRow]:
        """Stories, newest first; `search` matches titles and bodies, `outlet` any of its outlets, `language`
        any of its reports' languages."""
        where, params = ["TRUE"], []  # type: ignore[var-annotated]
        if since:
            where.append("s.id IN (SELECT story_id FROM articles WHERE published_date >= ?::DATE)")
            params.append(since)
        if outlet:
            where.append("s.id IN (SELECT story_id FROM articles WHERE outlet ILIKE ? ESCAPE '\\')")
            params.append(f"%{_escape_like(outlet)}%")
        if language:
            where.append("s.id IN (SELECT story_id FROM articles WHERE lower(language) = lower(?))")
            params.append(language)
        if search:
            where.append("s.id IN (SELECT story_id FROM articles WHERE title ILIKE ? ESCAPE '\\' "
                         "OR body ILIKE ? ESCAPE '\\')")
            params += [f"%{_escape_like(search)}%"] * 2
        sql = f"""SELECT s.id, s.title, s.first_seen, s.last_seen, s.articles, s.reports, s.outlets, o.names, g.langs
                  FROM stories s LEFT JOIN (
                      SELECT story_id, list(DISTINCT outlet ORDER BY outlet) AS names
                      FROM articles WHERE outlet <> '' GROUP BY story_id) o ON o.story_id = s.id
                  LEFT JOIN (
                      SELECT story_id, list(language ORDER BY n DESC, language) AS langs FROM (
                          SELECT story_id, language, count(*) AS n FROM articles
                          WHERE language IS NOT NULL AND language <> '' GROUP BY story_id, language)
                      GROUP BY story_id) g ON g.story_id = s.id
                  WHERE {' AND '.join(where)}
                  ORDER BY s.first_seen DESC NULLS LAST, s.first_seq DESC"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.connect() as con:
            rows = con.execute(sql, params).fetchall()
        return [StoryRow(r[0], r[1] or "", r[2], r[3], r[4], r[5], r[6], tuple(o for o in r[7] or () if o),
                         tuple(r[8] or ())) for r in rows]

    def story(self, story_id: str) -> StoryRow:
        """One story's summary row; StoreError when there is none."""
        with self.connect() as con:
            row = con.execute("SELECT id, title, first_seen, last_seen, articles, reports, outlets "
                              "FROM stories WHERE id = ?", [story_id]).fetchone()
        if row is None:
            raise StoreError(f"no story {story_id!r} in {self.path} (list them with `storydiff stories`)")
        return StoryRow(row[0], row[1] or "", row[2], row[3], row[4], row[5], row[6])

    def articles(self, *, story_id: str | None = None, independent: bool = False) -> list[StoredArticle]:
        """Stored articles in arrival order, optionally of one story and without copies."""
        where, params = ["TRUE"], []  # type: ignore[var-annotated]
        if story_id is not None:
            where.append("story_id = ?")
            params.append(story_id)
        if independent:
            where.append("duplicate_of IS NULL")
        cols = ", ".join(ARTICLE_COLUMNS)
        with self.connect() as con:
            cur = con.execute(f"SELECT {cols} FROM articles WHERE {' AND '.join(where)} ORDER BY seq", params)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return [self._stored(r) for r in rows]

    def iter_articles(self, batch_size: int = 1000) -> Iterator[StoredArticle]:
        """Every stored article in arrival order, read in slices (to rebuild an index)."""
        last = 0
        cols = ", ".join(ARTICLE_COLUMNS)
        while True:
            with self.connect() as con:
                cur = con.execute(f"SELECT {cols} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?",
                                  [last, batch_size])
                names = [d[0] for d in cur.description]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            if not rows:
                return
            for r in rows:
                yield self._stored(r)
            last = rows[-1]["seq"]

    @staticmethod
    def _stored(r: dict[str, Any]) -> StoredArticle:
        art = Article(id=r["id"], body=r["body"] or "", title=r["title"] or "", source=r["source"] or "",
                      url=r["url"] or "", outlet=r["outlet"] or "", author=r["author"] or "",
                      published=r["published"], subtitle=r["subtitle"] or "", language=r["language"] or "",
                      extractor=r["extractor"] or "")
        edits = json.loads(r["edits"]) if r["edits"] else None
        return StoredArticle(art, r["story_id"], r["duplicate_of"], r["similarity"], edits, seq=r["seq"])

    def unchecked_articles(self, limit: int, *, exclude: Collection[str] = ()) -> list[Article]:
        """Independent reports not yet checked for machine translation, oldest first, minus EXCLUDE's ids."""
        cols = ", ".join(ARTICLE_COLUMNS)
        with self.connect() as con:
            cur = con.execute(f"SELECT {cols} FROM articles WHERE mt_score IS NULL AND duplicate_of IS NULL "
                              "AND NOT list_contains(?::VARCHAR[], id) ORDER BY seq LIMIT ?",
                              [sorted(exclude), int(limit)])
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return [self._stored(r).article for r in rows]

    def write_mt(self, results: Sequence[tuple[str, float, bool, Sequence[str]]]) -> None:
        """Record machine-translation checks (article id, score, flag, evidence) in one transaction."""
        if not results:
            return
        with self.transaction() as con:
            con.executemany("UPDATE articles SET mt_score = ?, mt_flag = ?, mt_evidence = ? WHERE id = ?",
                            [[score, flag, json.dumps(list(evidence), ensure_ascii=False), aid]
                             for aid, score, flag, evidence in results])

    def unmark_failed_mt(self) -> int:
        """Make unchecked again the reports an older mt-check stored as checked with only its error; return how many."""
        with self.transaction() as con:
            # before failures were kept unchecked, one was stored as score 0 with "not checked: <error>" as evidence
            row = con.execute("UPDATE articles SET mt_score = NULL, mt_flag = NULL, mt_evidence = NULL "
                              "WHERE mt_score = 0 AND json_extract_string(mt_evidence, '$[0]') "
                              "LIKE 'not checked:%' RETURNING id").fetchall()
        return len(row)

    def mt_counts(self) -> dict[str, int]:
        """Independent reports checked for machine translation, flagged, and still unchecked."""
        with self.connect() as con:
            row = con.execute("SELECT count(mt_score), count(*) FILTER (WHERE mt_flag), "
                              "count(*) FILTER (WHERE mt_score IS NULL) FROM articles "
                              "WHERE duplicate_of IS NULL").fetchone()
        checked, flagged, unchecked = row if row else (0, 0, 0)
        return {"checked": int(checked), "flagged": int(flagged), "unchecked": int(unchecked)}

    # --- export --------------------------------------------------------------------------------

    def export(self, out: str | os.PathLike[str], fmt: str = "jsonl") -> list[Path]:
        """Write every table to OUT/<table>.jsonl or OUT/<table>.parquet; return the files written."""
        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        option = "FORMAT json" if fmt == "jsonl" else "FORMAT parquet"
        order = {"articles": "seq", "stories": "first_seq", "inputs": "input_hash", "state": "key",
                 "schema_migrations": "version"}
        with self.connect() as con:
            for table in TABLES:
                target = folder / f"{table}.{fmt}"
                # The path is the user's own argument, never article content; quote it as an SQL literal.
                literal = "'" + str(target).replace("'", "''") + "'"
                con.execute(f"COPY (SELECT * FROM {table} ORDER BY {order[table]}) TO {literal} ({option})")
                written.append(target)
        return written


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
