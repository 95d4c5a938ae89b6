"""Readers for the two labelled story datasets (uci-news-stories, allsides-roundups) used by tests and bench."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from storydiff.model import Article


def read_uci_headlines(path: Path) -> tuple[list[Article], list[str]]:
    """Title-only articles from headlines.csv (title, publisher, time) and their gold STORY labels."""
    arts, gold = [], []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            when = datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, UTC).isoformat()
            arts.append(Article(id=f"uci-{row['ID']}", body="", title=row["TITLE"], outlet=row["PUBLISHER"],
                                url=row["URL"], published=when))
            gold.append(row["STORY"])
    return arts, gold


def read_allsides(path: Path) -> tuple[list[Article], list[str]]:
    """Articles (title + first paragraphs) from articles.jsonl and their gold story labels."""
    arts, gold = [], []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            arts.append(Article(id=f"as-{i}", body=row["text"], title=row["title"], outlet=row["outlet"],
                                url=row["url"], published=row["published"]))
            gold.append(str(row["story"]))
    return arts, gold
