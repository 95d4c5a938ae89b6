"""Reconcile name mentions across reports into entities: short forms, respellings, transliteration garbles."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

from storydiff.analyze.entities import HONORIFICS, person_shaped
from storydiff.model import Entity, EntityMention, Mention

# Letters machine translation and transliteration swap for one another (Kuleba ~ Kreva ~ Cleva).
_CONFUSIONS = str.maketrans({"l": "r", "b": "v", "w": "v", "c": "k", "q": "k", "p": "b", "z": "s", "y": "i", "j": "i"})
MIN_SKELETON = 3  # consonant skeletons shorter than this match too many names to be evidence
MIN_JARO_WINKLER = 0.88  # Jaro-Winkler of the folded spellings at or above this: one name respelled
MAX_EDIT_RATIO = 0.34  # edit distance / length of the confusion-mapped spellings for a garble
NAME_LABELS = frozenset({"PERSON", "ORG"})  # single-token names NER often mislabels as ORG
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})  # NER splits places between these labels


def _compatible(x: str, y: str) -> bool:
    return x == y or {x, y} <= NAME_LABELS or {x, y} <= PLACE_LABELS


def fold(text: str) -> str:
    """Lowercase ASCII form of a name: accents and apostrophes removed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z\s-]", "", text.lower()).strip()


def name_tokens(text: str) -> list[str]:
    """The tokens of a name without honorifics ("Mr Kuleba" -> ["kuleba"])."""
    toks = [t for t in fold(text).replace("-", " ").split() if t]
    return [t for t in toks if t.rstrip(".") not in HONORIFICS]


def skeleton(token: str) -> str:
    """Consonant skeleton after transliteration confusions: the shape MT garbles keep."""
    mapped = fold(token).translate(_CONFUSIONS)
    if not mapped:
        return ""
    head, rest = mapped[0], re.sub(r"[aeiouh\s-]", "", mapped[1:])
    out = head if head not in "aeiou" else ""
    for ch in rest:
        if not out or out[-1] != ch:
            out += ch
    return out


def garble_evidence(a: str, b: str) -> str | None:
    """Why two single-name spellings may be one name garbled, or None when they are not."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb or fa == fb:
        return "same spelling" if fa == fb and fa else None
    if fa[0] not in "aeiou" and fb[0] not in "aeiou" and fa[0].translate(_CONFUSIONS) != fb[0].translate(_CONFUSIONS):
        return None  # names rarely garble their first consonant into an unrelated one
    sa, sb = skeleton(fa), skeleton(fb)
    if len(sa) >= MIN_SKELETON and sa == sb:
        return f"same consonant skeleton '{sa}' after l/r, b/v, c/k confusions"
    if min(len(fa), len(fb)) >= 5 and JaroWinkler.similarity(fa, fb) >= MIN_JARO_WINKLER:
        return "close spelling (Jaro-Winkler)"
    if len(fa) >= 5 and jellyfish.metaphone(fa) == jellyfish.metaphone(fb) and len(jellyfish.metaphone(fa)) >= 3:
        return f"same sound (metaphone {jellyfish.metaphone(fa)})"
    ma, mb = fa.translate(_CONFUSIONS), fb.translate(_CONFUSIONS)
    if min(len(ma), len(mb)) >= 5 and Levenshtein.distance(ma, mb) / max(len(ma), len(mb)) <= MAX_EDIT_RATIO:
        return "one or two letters apart after transliteration confusions"
    return None


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    """Options of entity resolution."""

    garbles: bool = True  # join single names that look like transliteration garbles of another


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}
        self.why: dict[tuple[str, str], list[str]] = defaultdict(list)

    def find(self, x: tuple[str, str]) -> tuple[str, str]:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: tuple[str, str], b: tuple[str, str], why: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.why[ra].extend(self.why.pop(rb, []))
            self.why[ra].append(why)


def _labels(mentions: Iterable[Mention]) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for m in mentions:
        out[(m.article, m.text)][m.label] += 1
    return out


def resolve_entities(mentions: Sequence[Mention], options: ResolveOptions | None = None) -> list[Entity]:
    """Group name mentions of all articles into entities, with the evidence for each join."""
    options = options or ResolveOptions()
    labels = _labels(m for m in mentions if m.label != "ROLE")  # roles join people in resolve.roles
    forms = list(labels)
    uf = _UnionFind()
    for f in forms:
        uf.find(f)
    label_of = {f: _main_label(c) for f, c in labels.items()}
    singles_text = {tok for f in forms for tok in name_tokens(f[1]) if len(name_tokens(f[1])) == 1}
    for f in forms:  # "Andžejs Viļumsons" tagged ORG but also called "Viļumsons": a person
        parts = f[1].split()
        if label_of[f] == "ORG" and person_shaped(parts) and name_tokens(f[1])[-1] in singles_text:
            label_of[f] = "PERSON"
            labels[f] = Counter({"PERSON": sum(labels[f].values())})
    person_like = {f for f in forms if label_of[f] in NAME_LABELS}
    # 1. Same name in any article, and same name up to honorifics ("Mr Kuleba" ~ "Kuleba").
    by_key: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for f in forms:
        key = tuple(name_tokens(f[1]))
        if key:
            by_key[key].append(f)
    for group in by_key.values():
        for other in group[1:]:
            if _compatible(label_of[other], label_of[group[0]]):
                why = "same name in several reports" if other[1] == group[0][1] else f"'{other[1]}' is '{group[0][1]}'"
                uf.union(group[0], other, why)
    # 2. A single name joins a full name that contains it, inside an article first, then anywhere.
    full = [f for f in person_like if len(name_tokens(f[1])) >= 2]
    singles = [f for f in person_like if len(name_tokens(f[1])) == 1]
    for s in singles:
        tok = name_tokens(s[1])[0]
        # an ORG-tagged single name is a mislabelled surname only if it joins a person
        hosts = [f for f in full if tok in name_tokens(f[1]) and "PERSON" in (label_of[f], label_of[s])]
        same_article = [f for f in hosts if f[0] == s[0]]
        targets = same_article or hosts
        if len({uf.find(t) for t in targets}) == 1:
            uf.union(targets[0], s, f"'{s[1]}' is short for '{targets[0][1]}'")
    # 3. Full names that differ only by a garbled part ("Marta Covalenco" ~ "Marta Kovalenko").
    if options.garbles:
        people = [f for f in full if label_of[f] == "PERSON"]
        for x_i, x in enumerate(people):
            for y in people[x_i + 1 :]:
                if uf.find(x) == uf.find(y):
                    continue
                tx, ty = name_tokens(x[1]), name_tokens(y[1])
                if len(tx) != len(ty):
                    continue
                whys = [garble_evidence(a, b) for a, b in zip(tx, ty, strict=True)]
                reasons = [w for w in whys if w and w != "same spelling"]
                if all(whys) and reasons:
                    uf.union(x, y, f"'{y[1]}' ~ '{x[1]}': {reasons[0]}")
    # 4. Respelled or garbled single names ("Kreva", "Cleva") join the person whose name they echo.
    if options.garbles:
        unresolved = [s for s in singles if not _joined_to_full(uf, s, full)]
        persons = sorted((f for f in full if label_of[f] == "PERSON"), key=lambda f: -sum(labels[f].values()))
        for s in unresolved:
            tok = name_tokens(s[1])[0]
            matches = []
            for f in persons:
                for part in name_tokens(f[1]):
                    found = garble_evidence(tok, part)
                    if found and found != "same spelling":
                        matches.append((f, part, found))
            roots = {uf.find(m[0]) for m in matches}
            if len(roots) == 1:
                f, part, why = matches[0]
                uf.union(f, s, f"'{s[1]}' ~ '{part.title()}': {why}")
    return _entities(uf, labels, label_of)


def _joined_to_full(uf: _UnionFind, single: tuple[str, str], full: list[tuple[str, str]]) -> bool:
    root = uf.find(single)
    return any(uf.find(f) == root for f in full)


def _main_label(counts: Counter[str]) -> str:
    if "PERSON" in counts:
        return "PERSON"
    return counts.most_common(1)[0][0]


def _entities(
    uf: _UnionFind, labels: dict[tuple[str, str], Counter[str]], label_of: dict[tuple[str, str], str]
) -> list[Entity]:
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for f in labels:
        groups[uf.find(f)].append(f)
    entities = []
    for root, members in groups.items():
        counts: Counter[str] = Counter()
        for f in members:
            counts.update(labels[f])
        label = _main_label(counts)
        name = max(members, key=lambda f: (len(name_tokens(f[1])), sum(labels[f].values()), -len(f[1])))[1]
        mentions = tuple(
            EntityMention(article=f[0], text=f[1], count=sum(labels[f].values()))
            for f in sorted(members, key=lambda f: (f[0], -sum(labels[f].values()), f[1]))
        )
        entities.append(Entity(id="", name=name, label=label, mentions=mentions, evidence=tuple(uf.why.get(root, []))))
    entities.sort(key=lambda e: (-sum(m.count for m in e.mentions), e.name))
    return [Entity(f"e{k + 1}", e.name, e.label, e.mentions, e.evidence) for k, e in enumerate(entities)]


def spellings_in_article(entity: Entity, article: str) -> list[str]:
    """Distinct spellings of an entity inside one article, short forms left out ("Mr Kuleba" of "Dmytro Kuleba")."""
    forms = {m.text: frozenset(name_tokens(m.text)) for m in entity.mentions
             if m.article == article and not m.text.lower().startswith("the ")}  # roles are not spellings
    forms = {t: toks for t, toks in forms.items() if toks}
    maximal = {toks for toks in forms.values() if not any(toks < other for other in forms.values())}
    return sorted(" ".join(sorted(t)) for t in maximal)
