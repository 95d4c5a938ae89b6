"""Headline framing: which words each headline chooses that the others do not."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from storydiff.model import Article, Headline

_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]+")
STEM_CHARS = 5  # "asks"/"asked" and "ceasefire"/"ceasefires" count as the same word


def _content(title: str) -> dict[str, str]:
    words: dict[str, str] = {}
    for w in _WORD.findall(title):
        low = w.lower().strip("’'")
        if low not in ENGLISH_STOP_WORDS and len(low) > 2:
            words.setdefault(low[:STEM_CHARS], w)
    return words


def compare_headlines(articles: Sequence[Article]) -> list[Headline]:
    """For each headline, the content words it shares with every other headline and those only it uses."""
    bags = [_content(a.title) for a in articles]
    out = []
    for k, art in enumerate(articles):
        others = [b for j, b in enumerate(bags) if j != k and articles[j].title]
        shared = [w for s, w in bags[k].items() if others and all(s in o for o in others)]
        own = [w for s, w in bags[k].items() if not any(s in o for o in others)]
        out.append(Headline(article=art.id, title=art.title, own_words=tuple(own), shared_words=tuple(shared)))
    return out
