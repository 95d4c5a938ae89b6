"""Test and benchmark corpora built by controlled edits (reprints) and by templates (synthetic streams)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from storydiff.model import Article

BYLINES = ("By Staff Writer", "By Alex Morgan, Associated Correspondent", "Reporting by Sam Lee; Editing by Kim Ortiz",
           "From our wire services")
EDITS = ("headline", "reorder", "trim", "byline")  # the controlled edits a reprint may carry, in the order applied


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def reprint(article: Article, edits: Sequence[str], new_id: str, rng: random.Random) -> Article:
    """A copy of `article` with the given edits applied (headline, trim, byline, reorder)."""
    paras = _paragraphs(article.body)
    title = article.title
    for edit in sorted(edits, key=lambda e: EDITS.index(e) if e in EDITS else -1):
        if edit == "headline":
            words = title.split()
            title = " ".join(words[: max(3, len(words) - 3)]) + ": " + rng.choice(("what we know", "report", "latest"))
        elif edit == "trim":
            if len(paras) > 1:
                trimmed = paras[:-1]
            else:  # one paragraph: drop its last sentence
                trimmed = [" ".join(re.split(r"(?<=[.!?])\s+", paras[0])[:-1])]
            if len(" ".join(trimmed).split()) * 2 >= len(" ".join(paras).split()):
                paras = trimmed  # a reprint keeps at least half the words; else the trim is skipped
        elif edit == "byline":
            paras = [rng.choice(BYLINES), *paras]
        elif edit == "reorder":
            if len(paras) > 1:
                i = rng.randrange(len(paras) - 1)
                paras[i], paras[i + 1] = paras[i + 1], paras[i]
            else:  # one paragraph: move its first sentence to the end
                sentences = re.split(r"(?<=[.!?])\s+", paras[0])
                paras = [" ".join(sentences[1:] + sentences[:1])]
        else:
            raise ValueError(f"unknown edit {edit!r}: choose from {', '.join(EDITS)}")
    body = "\n\n".join(paras)
    return Article(id=new_id, body=body, title=title, outlet="reprint", published=article.published)


def reprint_corpus(originals: Sequence[Article], share: float = 0.5,
                   seed: int = 7) -> tuple[list[Article], dict[str, str]]:
    """Originals plus edited reprints of a share of them, in arrival order, and gold copy -> original."""
    rng = random.Random(seed)
    stream: list[Article] = []
    gold: dict[str, str] = {}
    later: list[Article] = []
    for art in originals:
        stream.append(art)
        if rng.random() < share:
            edits = rng.sample(EDITS, rng.choice((1, 1, 2, 3)))
            copy = reprint(art, edits, f"{art.id}~copy", rng)
            gold[copy.id] = art.id
            later.append(copy)
        if later and rng.random() < 0.5:  # reprints arrive a little after their original
            stream.append(later.pop(0))
    stream.extend(later)
    return stream, gold


_TOPICS = ("election", "storm", "merger", "trial", "summit", "strike", "launch", "outbreak", "verdict", "protest")
_PLACES = ("Avalon", "Brixham", "Corvale", "Dunmore", "Eastwick", "Fairhaven", "Glenrock", "Harrow", "Ironbridge")
_PEOPLE = ("Mara Quill", "Tobias Venn", "Ilse Marrow", "Jon Abernathy", "Priya Solace", "Ode Karim", "Lena Strand")
_VERBS = ("says", "warns", "confirms", "denies", "announces", "rejects", "backs", "delays")


def _pseudo_word(rng: random.Random) -> str:
    syllables = ("ka", "lo", "mi", "ran", "tes", "vo", "dur", "pel", "sa", "quin", "bor", "ith", "ne", "zu")
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()


def synthetic_stream(n: int, per_day: int = 2000, story_size: int = 8, seed: int = 3) -> list[Article]:
    """`n` fictional title-only articles, `per_day` a day, in stories of about `story_size` (for the bench)."""
    rng = random.Random(seed)
    start = datetime(2031, 1, 1, tzinfo=UTC)
    out: list[Article] = []
    live: list[tuple[str, str, str, str, str]] = []  # the stories currently being reported
    for i in range(n):
        when = start + timedelta(days=i / per_day)
        if not live or rng.random() < 1 / story_size:
            live.append((rng.choice(_TOPICS), rng.choice(_PLACES), rng.choice(_PEOPLE), _pseudo_word(rng),
                         _pseudo_word(rng)))
            live = live[-100:]
        topic, place, person, w1, w2 = rng.choice(live[-30:])
        title = f"{person} {rng.choice(_VERBS)} {w1} {topic} in {place} as {w2} {rng.choice(_VERBS)}"
        out.append(Article(id=f"syn{i}", body="", title=title, outlet=f"outlet{i % 40}", published=when.isoformat()))
    return out
