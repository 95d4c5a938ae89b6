"""Reconcile name mentions across reports into entities: short forms, respellings, transliteration garbles."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

from storydiff.analyze.entities import HONORIFICS, person_shaped
from storydiff.model import Entity, EntityMention, Mention

# Letters machine translation and transliteration swap for one another (Kuleba ~ Kreva ~ Cleva).
CONFUSIONS = str.maketrans({"l": "r", "b": "v", "w": "v", "c": "k", "q": "k", "p": "b", "z": "s", "y": "i", "j": "i"})
MIN_SKELETON = 3  # consonant skeletons shorter than this match too many names to be evidence
MIN_JARO_WINKLER = 0.88  # Jaro-Winkler of the folded spellings at or above this: one name respelled
MAX_EDIT_RATIO = 0.34  # edit distance / length of the confusion-mapped spellings for a garble
NAME_LABELS = frozenset({"PERSON", "ORG", "NAME"})  # single-token names NER often mislabels as ORG
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})  # NER splits places between these labels
UNTYPED = "NAME"  # a name found without a name model (another language): its kind comes from what it joins


def _compatible(x: str, y: str) -> bool:
    return x == y or UNTYPED in (x, y) or {x, y} <= NAME_LABELS or {x, y} <= PLACE_LABELS


def fold(text: str) -> str:
    """Lowercase ASCII form of a name in any script: romanised, accents and apostrophes removed."""
    text = unicodedata.normalize("NFKD", romanise(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z\s-]", "", text.lower()).strip()


def is_latin(text: str) -> bool:
    """True when every letter of the text is Latin (or ASCII)."""
    return all(not ch.isalpha() or ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


@lru_cache(maxsize=1)
def _uroman() -> Any:
    import uroman

    return uroman.Uroman()


@lru_cache(maxsize=65_536)
def romanise(text: str) -> str:
    """A name in Latin letters (uroman for any other script: Шевченко -> Shevchenko); Latin text as is."""
    if is_latin(text):
        return text
    return str(_uroman().romanize_string(text))


# Spellings one sound gets in different transliterations (sch, tsch, tch, ch, sh, sz, cz, zh -> one class),
# so the French, German and English renderings of one Slavic name share a key.
_SIBILANTS = re.compile(r"schtsch|shch|szcz|tsch|tch|sch|ch|sh|cz|sz|zh|[šžčś]")
_TRANSLIT = str.maketrans({"w": "v", "j": "y"})


def translit_key(token: str) -> str:
    """A key that one name keeps across transliteration conventions (Shevchenko, Chevtchenko, Schewtschenko)."""
    text = _SIBILANTS.sub("x", romanise(token).lower())
    return fold(text).replace("ck", "k").replace("ou", "u").translate(_TRANSLIT)


def name_tokens(text: str) -> list[str]:
    """The tokens of a name without honorifics ("Mr Kuleba" -> ["kuleba"])."""
    toks = [t for t in fold(text).replace("-", " ").split() if t]
    return [t for t in toks if t.rstrip(".") not in HONORIFICS]


def skeleton(token: str) -> str:
    """Consonant skeleton after transliteration confusions: the shape MT garbles keep."""
    mapped = fold(token).translate(CONFUSIONS)
    if not mapped:
        return ""
    head, rest = mapped[0], re.sub(r"[aeiouh\s-]", "", mapped[1:])
    out = head if head not in "aeiou" else ""
    for ch in rest:
        if not out or out[-1] != ch:
            out += ch
    return out


def garble_evidence(a: str, b: str, *, strict: bool = False) -> str | None:
    """Why two single-name spellings may be one name garbled, or None; `strict` keeps only spelling systems
    (script, transliteration, case endings), for words that may not be names at all."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb or fa == fb:
        return "same spelling" if fa == fb and fa else None
    ka, kb = translit_key(a), translit_key(b)
    if len(ka) >= MIN_SKELETON + 1 and (ka == kb or (skeleton(ka) == skeleton(kb) and len(skeleton(ka)) > MIN_SKELETON)):
        return "the same name in another transliteration"
    if _inflected(ka, kb) or _inflected(kb, ka):
        return "the same name with a case ending"
    if strict:
        return None
    if fa[0] not in "aeiou" and fb[0] not in "aeiou" and fa[0].translate(CONFUSIONS) != fb[0].translate(CONFUSIONS):
        return None  # names rarely garble their first consonant into an unrelated one
    if (fa[0] in "aeiou") != (fb[0] in "aeiou"):
        return None  # nor drop or add their first sound ("Abdden" is no garble of "Biden")
    sa, sb = skeleton(fa), skeleton(fb)
    if len(sa) >= MIN_SKELETON and sa == sb:
        return f"same consonant skeleton '{sa}' after l/r, b/v, c/k confusions"
    if min(len(fa), len(fb)) >= 5 and JaroWinkler.similarity(fa, fb) >= MIN_JARO_WINKLER:
        return "close spelling (Jaro-Winkler)"
    if len(fa) >= 5 and jellyfish.metaphone(fa) == jellyfish.metaphone(fb) and len(jellyfish.metaphone(fa)) >= 3:
        return f"same sound (metaphone {jellyfish.metaphone(fa)})"
    ma, mb = fa.translate(CONFUSIONS), fb.translate(CONFUSIONS)
    if min(len(ma), len(mb)) >= 5 and Levenshtein.distance(ma, mb) / max(len(ma), len(mb)) <= MAX_EDIT_RATIO:
        return "one or two letters apart after transliteration confusions"
    return None


MAX_SYLLABLE_NAME = 4  # syllables of a Korean name (family name + one to three)
_KO_CONSONANTS = str.maketrans({"g": "k", "d": "t", "b": "p", "j": "c", "r": "l"})
_KO_SYLLABLE = re.compile(r"^[bcdghjkmnprstwy]{0,3}[aeiouwy]{1,3}r?(?:ng|n|m|l|k|p|t|g|b|r)?$")
_SILENT_R = re.compile(r"(?<=[aeiou])r(?=[^aeiou])")  # the r of "Park": a vowel-length mark, no consonant


def is_hangul(ch: str) -> bool:
    """True for a Hangul syllable block."""
    return "\uac00" <= ch <= "\ud7a3"


def hangul_key(syllable: str) -> str:
    """The consonants of a romanised Korean syllable, voicing and vowels left out: romanisation systems
    differ there (Park / Bak, Jin / Chin, Young / Yeong) but agree on the consonants."""
    text = _SILENT_R.sub("", fold(syllable)).replace("ck", "k").replace("ch", "c").replace("ng", "N").translate(_KO_CONSONANTS)
    key = re.sub(r"[aeiouwyh\s-]", "", text)
    # an initial l or n is written or dropped by convention (Lee / Yi / Rhee, Noh / Roh): no evidence either way
    return "" if key in ("l", "n") and text.startswith(("l", "n", "y", "i")) else key


def korean_name_key(name: str) -> tuple[str, ...] | None:
    """One key a syllable for a name that reads as Korean (in Hangul, or romanised syllable by syllable), else None."""
    if name and all(is_hangul(ch) for ch in name.replace(" ", "")):
        keys = tuple(hangul_key(romanise(ch)) for ch in name if is_hangul(ch))
    else:
        toks = name_tokens(name)
        if not all(_KO_SYLLABLE.match(t) for t in toks):
            return None
        keys = tuple(hangul_key(t) for t in toks)
    consonants = sum(len(k) for k in keys)  # three syllables carry evidence in their count as well
    enough = consonants >= MIN_SKELETON or (len(keys) >= 3 and consonants >= MIN_SKELETON - 1)
    return keys if 2 <= len(keys) <= MAX_SYLLABLE_NAME and enough else None


# Evidence too loose to make a person of a word NER did not call one ("Marine" ~ "Martin"): close spelling only.
LOOSE = frozenset({"close spelling (Jaro-Winkler)", "one or two letters apart after transliteration confusions"})
MAX_ENDING = 3  # letters a case ending adds to a name (Karpov -> Karpova, Brandt -> Brandtom)
MIN_INFLECTED_BASE = 5  # shorter bases are other names, not declensions (Jan / Jana, Paul / Paula)


def _inflected(longer: str, base: str) -> bool:
    """True when `longer` is `base` plus a short ending with a vowel, as inflecting languages decline names."""
    extra = len(longer) - len(base)
    if not 1 <= extra <= MAX_ENDING or len(base) < MIN_INFLECTED_BASE:
        return False
    ending, stem, head = longer[len(base) :], skeleton(base), longer[: len(base)]
    return (bool(re.search(r"[aeiouy]", ending)) and len(stem) >= MIN_SKELETON and skeleton(head) == stem
            and Levenshtein.distance(head, base) <= 1)  # the stem itself, one transliterated vowel at most


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
        parts, toks = f[1].split(), name_tokens(f[1])
        if label_of[f] == "ORG" and person_shaped(parts) and toks and toks[-1] in singles_text:
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
    # 2b. A full name inside a longer one ("Park Jin" of "Park Jin Young"), when only one longer name holds it.
    for f in full:
        own = set(name_tokens(f[1]))
        longer = [g for g in full if label_of[g] == label_of[f] == "PERSON" and own < set(name_tokens(g[1]))]
        if longer and len({uf.find(g) for g in longer}) == 1:
            uf.union(longer[0], f, f"'{f[1]}' is part of '{longer[0][1]}'")
    # 3. Full names that differ only by a garbled part ("Marta Covalenco" ~ "Marta Kovalenko").
    if options.garbles:
        people = [f for f in full if label_of[f] in ("PERSON", UNTYPED)]
        for x_i, x in enumerate(people):
            for y in people[x_i + 1 :]:
                if uf.find(x) == uf.find(y) or "PERSON" not in (label_of[x], label_of[y]):
                    continue
                tx, ty = name_tokens(x[1]), name_tokens(y[1])
                if len(tx) != len(ty):
                    continue
                whys = [garble_evidence(a, b) for a, b in zip(tx, ty, strict=True)]
                reasons = [w for w in whys if w and w != "same spelling"]
                if all(whys) and reasons:
                    uf.union(x, y, f"'{y[1]}' ~ '{x[1]}': {reasons[0]}")
    # 3b. A Korean name in Hangul or in another romanisation ("박진영", "Bak Jin-yeong" ~ "Park Jin-young").
    korean: dict[tuple[str, ...], tuple[str, str]] = {}
    for f in sorted(forms, key=lambda f: label_of[f] != "PERSON"):
        ko_key = korean_name_key(f[1]) if label_of[f] in ("PERSON", UNTYPED) else None
        if ko_key is None:
            continue
        if ko_key in korean and uf.find(korean[ko_key]) != uf.find(f) and "PERSON" in (label_of[f], label_of[korean[ko_key]]):
            uf.union(korean[ko_key], f, f"'{f[1]}' ~ '{korean[ko_key][1]}': one Korean name in another romanisation")
        korean.setdefault(ko_key, f)
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
                    if found and found != "same spelling" and (label_of[s] == "PERSON" or found not in LOOSE):
                        matches.append((f, part, found))
            roots = {uf.find(m[0]) for m in matches}
            if len(roots) == 1:
                f, part, why = matches[0]
                uf.union(f, s, f"'{s[1]}' ~ '{part.title()}': {why}")
    # 5. A place written in another script or transliteration ("Velmorow" ~ "Velmorov"), by spelling systems only.
    places = [f for f in forms if label_of[f] in PLACE_LABELS | {UNTYPED} and len(name_tokens(f[1])) == 1]
    for x_i, x in enumerate(places):
        for y in places[x_i + 1 :]:
            if uf.find(x) == uf.find(y) or UNTYPED == label_of[x] == label_of[y]:
                continue
            spelled = garble_evidence(x[1], y[1], strict=True)
            if spelled and spelled != "same spelling" and _compatible(label_of[x], label_of[y]):
                uf.union(x, y, f"'{y[1]}' ~ '{x[1]}': {spelled}")
    return _entities(uf, labels, label_of)


def _joined_to_full(uf: _UnionFind, single: tuple[str, str], full: list[tuple[str, str]]) -> bool:
    root = uf.find(single)
    return any(uf.find(f) == root for f in full)


def _main_label(counts: Counter[str]) -> str:
    if "PERSON" in counts:
        return "PERSON"
    typed = [(n, label) for label, n in counts.items() if label != UNTYPED]
    return max(typed)[1] if typed else UNTYPED


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
        spread = Counter(f[1] for f in members)  # how many reports write each form
        name = max(members, key=lambda f: (len(name_tokens(f[1])), is_latin(f[1]), not f[1].isupper(),
                                           spread[f[1]], sum(labels[f].values()), -len(f[1])))[1]
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
