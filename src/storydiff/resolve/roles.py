"""Role phrases ("the king") tied to the person another report names in the same aligned claim."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from storydiff.model import Entity, EntityMention, Sentence

MIN_SHARE = 0.67  # the winning person must hold this share of a role's votes


def attach_roles(entities: Sequence[Entity], sentences: Sequence[Sentence],
                 links: Sequence[tuple[tuple[str, int], tuple[str, int]]]) -> list[Entity]:
    """Join each role phrase to the person its aligned partner sentences name where it stands."""
    by_ref = {s.ref: s for s in sentences}
    owner: dict[tuple[str, str], str] = {}
    for e in entities:
        for m in e.mentions:
            owner[(m.article, m.text)] = e.id
    person = {e.id for e in entities if e.label == "PERSON"}
    votes: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a, b in links:
        for x, y in ((by_ref[a], by_ref[b]), (by_ref[b], by_ref[a])):
            roles = [m for m in x.mentions if m.label == "ROLE"]
            if not roles:
                continue
            here = {owner.get((x.article, m.text)) for m in x.mentions}
            there = {owner.get((y.article, m.text)) for m in y.mentions} & person
            candidates = {c for c in there - here if c is not None}
            for role in roles:
                for cand in candidates:
                    votes[(x.article, role.text.casefold())][cand] += 1 / len(candidates)
    winners: dict[tuple[str, str], str] = {}
    for key, counter in votes.items():
        cand, n = max(counter.items(), key=lambda kv: kv[1])
        if n / sum(counter.values()) >= MIN_SHARE:
            winners[key] = cand
    if not winners:
        return list(entities)
    role_counts: Counter[tuple[str, str]] = Counter()
    for s in sentences:
        for mention in s.mentions:
            if mention.label == "ROLE" and (s.article, mention.text.casefold()) in winners:
                role_counts[(s.article, mention.text)] += 1
    out = []
    for e in entities:
        extra = [EntityMention(article=a, text=t, count=n) for (a, t), n in sorted(role_counts.items())
                 if winners.get((a, t.casefold())) == e.id]
        if extra:
            why = tuple(f"'{m.text}' stands where an aligned report names {e.name}" for m in extra)
            e = replace(e, mentions=e.mentions + tuple(extra), evidence=e.evidence + why)
        out.append(e)
    return out
