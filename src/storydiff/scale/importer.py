"""`import_tables(output, store)`: load a Spark run's Parquet tables into the embedded store (no Spark needed)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from storydiff.errors import UsageError
from storydiff.scale.read import row_article
from storydiff.store import Batch, Store, StoredArticle

IMPORT_BATCH = 5000  # articles per store transaction


def _table(folder: Path) -> Any:
    """The articles table in arrival order (time, then id); a folder that is not one is a usage error."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        table = ds.dataset(str(folder), format="parquet").to_table()
    except (OSError, pa.ArrowException) as exc:
        raise UsageError(f"{folder}: not a readable Parquet table ({str(exc).splitlines()[0]})") from exc
    missing = [c for c in ("id", "tk", "story_id", "duplicate_of") if c not in table.column_names]
    if missing:
        raise UsageError(f"{folder}: not an articles table of `storydiff spark run` (no column {', '.join(missing)})")
    return table.sort_by([("tk", "ascending"), ("id", "ascending")])


def _stored(row: dict[str, Any]) -> StoredArticle:
    """A row of the articles table as the store keeps it (story, copy link, similarity, edits)."""
    art = row_article(row)
    sim = row.get("similarity")
    edits = json.loads(row["edits"]) if row.get("edits") else None
    return StoredArticle(art, row.get("story_id"), row.get("duplicate_of"),
                         None if sim is None or (isinstance(sim, float) and math.isnan(sim)) else sim,
                         edits, row.get("input_hash") or "")


def import_tables(output: str | os.PathLike[str], store: Store) -> int:
    """Write every article of a Spark run (with its story and copy links) into the store; return how many were new.

    Articles the store already holds are left unchanged, so importing twice adds nothing.
    """
    folder = Path(output) / "articles"
    if not folder.is_dir():
        raise UsageError(f"{output}: no articles table (expected the OUTPUT folder of `storydiff spark run`)")
    added = 0
    with store.writer_lock():
        batch: list[StoredArticle] = []
        for part in _table(folder).to_batches(max_chunksize=IMPORT_BATCH):
            for row in part.to_pylist():
                batch.append(_stored(row))
                if len(batch) >= IMPORT_BATCH:
                    added += _write(store, batch)
                    batch = []
        if batch:
            added += _write(store, batch)
    return added


def _write(store: Store, batch: list[StoredArticle]) -> int:
    """Store the articles of a batch the store does not hold yet; return how many."""
    known = store.known_articles(s.article.id for s in batch)
    fresh = [s for s in batch if s.article.id not in known]
    store.write(Batch(fresh))
    return len(fresh)
