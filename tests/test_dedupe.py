"""Near-duplicate detection: controlled reprints are found, other reports of the same story are not."""

from __future__ import annotations

import json
import random
from collections import defaultdict

from storydiff.model import Article
from storydiff.stories._synthetic import reprint, reprint_corpus
from storydiff.stories.dedupe import DedupeIndex, DedupeOptions, describe_edits, shingles

# Fictional reports (no real article text is committed).
WIRE = Article(
    id="wire",
    title="Fire destroys warehouse at Port Avalon harbour",
    published="2031-06-12T08:00:00+00:00",
    body="\n\n".join([
        "A fire tore through a grain warehouse at Port Avalon harbour on Thursday night, sending a column "
        "of black smoke over the old town and forcing the closure of the coastal road for six hours.",
        "Fire chief Mara Quill said forty firefighters fought the blaze, which started shortly after ten "
        "o'clock, and that nobody was hurt. The cause is not yet known, she told reporters at the quay.",
        "The warehouse, built in 1911, stored wheat for the harbour's two mills. Its owner, the Avalon "
        "Grain Company, said the loss would run to several million crowns and that exports would be delayed.",
        "Residents of the nearby Fairhaven estate were told to keep their windows shut overnight because "
        "of the smoke, and the ferry to Brixham left from the east pier instead of the usual berth.",
    ]),
)
OTHER_REPORT = Article(
    id="rival",
    title="Harbour blaze: grain store lost, mills face shortages",
    published="2031-06-12T09:30:00+00:00",
    body="\n\n".join([
        "Port Avalon's mills may run short of wheat for weeks after flames gutted the harbour grain store late "
        "on Thursday, the company that owns it warned on Friday morning.",
        "Around forty firefighters battled the fire for most of the night, chief Mara Quill said. No one was "
        "injured. Investigators will examine the building once it is safe to enter.",
        "Smoke drifted across Fairhaven, where families were advised to stay indoors, and ferries were moved "
        "to the east pier while crews damped down the ruins.",
    ]),
)


def test_each_controlled_edit_is_found_and_described() -> None:
    rng = random.Random(1)
    for edits in (["headline"], ["trim"], ["byline"], ["reorder"], ["headline", "trim", "byline", "reorder"]):
        index = DedupeIndex()
        assert index.add(WIRE) is None
        copy = reprint(WIRE, edits, "copy", rng)
        found = index.add(copy)
        assert found is not None, edits
        assert found.duplicate_of == "wire"
        e = found.edits
        assert bool(e.headline) == ("headline" in edits)
        assert e.trimmed_end == ("trim" in edits)
        assert (len(e.added) == 1) == ("byline" in edits)
        assert e.reordered == ("reorder" in edits)
        assert json.dumps(found.to_dict())  # plain data for the store


def test_another_report_of_the_same_story_is_not_a_copy() -> None:
    index = DedupeIndex()
    index.add(WIRE)
    assert index.add(OTHER_REPORT) is None


def test_copies_of_copies_point_to_the_first_seen_article() -> None:
    rng = random.Random(2)
    index = DedupeIndex()
    index.add(WIRE)
    first = reprint(WIRE, ["byline"], "c1", rng)
    second = reprint(first, ["headline"], "c2", rng)
    assert index.add(first).duplicate_of == "wire"  # type: ignore[union-attr]
    assert index.add(second).duplicate_of == "wire"  # type: ignore[union-attr]
    assert index.groups() == {"wire": ["c1", "c2"]}


def test_title_only_and_short_articles() -> None:
    index = DedupeIndex()
    assert index.add(Article(id="t1", body="", title="Fire at the harbour")) is None
    assert index.add(Article(id="t2", body="", title="Fire at the harbour")) is None
    assert index.add(Article(id="s1", body="Short note.")) is None
    assert index.add(Article(id="s2", body="Short  note.")).duplicate_of == "s1"  # type: ignore[union-attr]


def test_state_round_trip_keeps_finding_copies() -> None:
    index = DedupeIndex()
    index.add(WIRE)
    index.add(OTHER_REPORT)
    state = json.loads(json.dumps(index.to_state()))
    resumed = DedupeIndex.from_state(state)
    copy = reprint(WIRE, ["trim", "byline"], "late-copy", random.Random(3))
    assert resumed.add(copy).duplicate_of == "wire"  # type: ignore[union-attr]


def test_shingles_ignore_paragraph_order_and_bylines() -> None:
    a = "one two three four five six seven eight nine ten eleven\n\ntwelve thirteen fourteen fifteen sixteen a b c d"
    b = "By Staff\n\ntwelve thirteen fourteen fifteen sixteen a b c d\n\none two three four five six seven eight nine ten eleven"
    assert shingles(a, 4, 10) == shingles(b, 4, 10)


def test_describe_edits_reports_changed_paragraphs() -> None:
    edits = describe_edits("T", "Alpha beta gamma delta.\n\nEpsilon zeta eta theta iota.", "T",
                           "Alpha beta gamma delta!\n\nEpsilon zeta eta theta iota.")
    assert len(edits.changed) == 1 and not edits.added and not edits.removed
    assert edits.summary == "reworded 1 paragraph(s)"


def _originals(datasets_dir) -> list[Article]:  # type: ignore[no-untyped-def]
    """The allsides articles, minus the few the source itself holds twice (a real reprint pair)."""
    rows = [json.loads(line) for line in (datasets_dir / "allsides-roundups" / "articles.jsonl").open()]
    arts = [Article(id=str(i), body=r["text"], title=r["title"], outlet=r["outlet"], published=r["published"])
            for i, r in enumerate(rows)]
    by_story: dict[int, list[Article]] = defaultdict(list)
    keep = []
    for art, row in zip(arts, rows, strict=True):
        mine = shingles(art.body, 4)
        if any(len(mine & shingles(o.body, 4)) >= 0.5 * min(len(mine), len(shingles(o.body, 4)))
               for o in by_story[row["story"]]):
            continue
        by_story[row["story"]].append(art)
        keep.append(art)
    return keep


def test_reprint_corpus_precision_and_recall(datasets_dir) -> None:  # type: ignore[no-untyped-def]
    originals = _originals(datasets_dir)
    assert len(originals) > 1400
    stream, gold = reprint_corpus(originals, share=0.5, seed=11)
    index = DedupeIndex(DedupeOptions())
    predicted = {}
    for art in stream:
        found = index.add(art)
        if found:
            predicted[art.id] = found.duplicate_of
    right = sum(1 for k, v in predicted.items() if gold.get(k) == v)
    precision = right / max(len(predicted), 1)
    recall = right / len(gold)
    print(f"dedupe: {len(gold)} reprints among {len(stream)} articles: P {precision:.4f} R {recall:.4f}")
    assert precision >= 0.98
    assert recall >= 0.98
