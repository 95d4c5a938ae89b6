"""The shared nouns of storydiff: plain, frozen data passed between the pipeline stages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def _to_plain(value: Any) -> Any:
    """Turn dataclasses, tuples and dicts into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


class _Plain:
    """Mixin giving frozen dataclasses a `to_dict`/`from_dict` pair."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the object as JSON-ready plain data."""
        return _to_plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build the object from `to_dict` output, ignoring unknown keys."""
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs = {}
        for key, value in data.items():
            if key not in names:
                continue
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Block(_Plain):
    """A paragraph removed from an article body, and why (shown by `extract --explain`)."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Article(_Plain):
    """One report of an event: its metadata and its clean body text (paragraphs joined by blank lines)."""

    id: str
    body: str
    title: str = ""
    source: str = ""  # the file path or URL it was read from
    url: str = ""
    outlet: str = ""
    author: str = ""
    published: str | None = None  # ISO date or datetime, when known
    subtitle: str = ""  # standfirst / dek under the headline
    language: str = ""
    extractor: str = ""  # which extraction path produced the body
    dropped: tuple[Block, ...] = ()  # boilerplate removed from the body

    @property
    def paragraphs(self) -> list[str]:
        """The body split into its paragraphs."""
        return [p for p in self.body.split("\n\n") if p.strip()]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an Article from plain data, restoring dropped blocks."""
        data = dict(data)
        data["dropped"] = tuple(Block(**b) if isinstance(b, dict) else b for b in data.get("dropped", ()))
        return _Plain.from_dict.__func__(cls, data)  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True, slots=True)
class Mention(_Plain):
    """A name found in a sentence: a person, place, organisation or group."""

    article: str
    sentence: int  # index of the sentence in its article
    text: str
    label: str  # PERSON, GPE, LOC, ORG, NORP
    start: int  # character offsets inside the sentence
    end: int


@dataclass(frozen=True, slots=True)
class Quote(_Plain):
    """Words inside quotation marks, with the speaker the sentence attributes them to."""

    text: str
    speaker: str = ""


@dataclass(frozen=True, slots=True)
class Quantity(_Plain):
    """A number in a sentence, normalised, with the word it counts."""

    text: str
    value: float
    unit: str = ""  # the noun it counts ("civilians", "children") or a symbol (%, $)


@dataclass(frozen=True, slots=True)
class DateRef(_Plain):
    """A date expression in a sentence, resolved to a calendar day when possible."""

    text: str
    resolved: str | None = None  # ISO date
    relative: bool = False  # resolved from a relative phrase ("last Thursday")
    anchor: bool = False  # a reference point ("since March 14"), not when the reported event happened


@dataclass(frozen=True, slots=True)
class Sentence(_Plain):
    """A sentence of an article body with what analysis found in it."""

    article: str
    index: int
    text: str
    paragraph: int = 0
    mentions: tuple[Mention, ...] = ()
    quotes: tuple[Quote, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    dates: tuple[DateRef, ...] = ()

    @property
    def ref(self) -> tuple[str, int]:
        """The (article, index) pair that identifies this sentence."""
        return (self.article, self.index)


@dataclass(frozen=True, slots=True)
class Difference(_Plain):
    """How two aligned sentences differ in a way a fact-checker cares about."""

    type: str  # quote | number | date | attribution
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SentenceRef(_Plain):
    """A sentence as cited by an alignment or a coverage list."""

    article: str
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class Alignment(_Plain):
    """Sentences of different articles that report the same thing."""

    id: str
    sentences: tuple[SentenceRef, ...]
    score: float
    kind: str = "same"  # same | variant | contradiction
    differences: tuple[Difference, ...] = ()
    links: tuple[tuple[str, int, str, int, float], ...] = ()  # the sentence pairs behind it, with scores


@dataclass(frozen=True, slots=True)
class EntityMention(_Plain):
    """One spelling of an entity as it appears in one article."""

    article: str
    text: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Entity(_Plain):
    """A person, place or organisation reconciled across all articles."""

    id: str
    name: str
    label: str
    mentions: tuple[EntityMention, ...] = ()
    evidence: tuple[str, ...] = ()  # why spellings were joined


@dataclass(frozen=True, slots=True)
class Signal(_Plain):
    """A verdict on an article (machine translation so far) with its evidence."""

    flag: bool
    score: float = 0.0
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Story(_Plain):
    """A group of articles reporting one event."""

    id: str
    articles: tuple[str, ...]
    title: str = ""
    first_seen: str | None = None


@dataclass(frozen=True, slots=True)
class Headline(_Plain):
    """How one article's headline frames the event, next to the others."""

    article: str
    title: str
    own_words: tuple[str, ...] = ()  # content words no other headline uses
    shared_words: tuple[str, ...] = ()  # content words every headline uses
    verbs: tuple[str, ...] = ()  # what the headline says someone did


@dataclass(frozen=True, slots=True)
class Unique(_Plain):
    """A sentence only one article reports; every other article omits it."""

    article: str
    index: int
    text: str
    omitted_by: tuple[str, ...] = ()


SCHEMA_VERSION = "1.1"  # 1.1: articles carry shares_nothing; alignments are one claim each


@dataclass(frozen=True, slots=True)
class Report(_Plain):
    """The comparison of several reports of one event: agreement, additions, omissions, differences."""

    articles: tuple[Article, ...]
    sentences: tuple[Sentence, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    unique: tuple[Unique, ...] = ()
    entities: tuple[Entity, ...] = ()
    headlines: tuple[Headline, ...] = ()
    machine_translated: dict[str, Signal] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)  # stage -> backend name and version
    schema_version: str = SCHEMA_VERSION

    @property
    def consensus(self) -> tuple[Alignment, ...]:
        """Alignments that every article takes part in."""
        every = {a.id for a in self.articles}
        return tuple(al for al in self.alignments if {s.article for s in al.sentences} >= every)

    @property
    def differences(self) -> tuple[tuple[Alignment, Difference], ...]:
        """Every difference inside agreement, with the alignment it sits in."""
        return tuple((al, d) for al in self.alignments for d in al.differences)

    @property
    def isolated(self) -> tuple[str, ...]:
        """Articles that share no claim with any other report (with two or more reports): another event?"""
        if len(self.articles) < 2:
            return ()
        aligned = {s.article for al in self.alignments for s in al.sentences}
        return tuple(a.id for a in self.articles if a.id not in aligned)

    def article(self, article_id: str) -> Article:
        """Return the article with this id."""
        for art in self.articles:
            if art.id == article_id:
                return art
        raise KeyError(article_id)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the report in the documented JSON schema (docs/report-schema.md)."""
        arts = []
        isolated = set(self.isolated)
        for art in self.articles:
            item = art.to_dict()
            item["shares_nothing"] = art.id in isolated
            sig = self.machine_translated.get(art.id)
            item["machine_translated"] = sig.to_dict() if sig else {"flag": False, "score": 0.0, "evidence": []}
            arts.append(item)
        return {
            "schema": "storydiff.report",
            "schema_version": self.schema_version,
            "backends": dict(self.backends),
            "articles": arts,
            "headlines": [h.to_dict() for h in self.headlines],
            "consensus": [al.id for al in self.consensus],
            "alignments": [al.to_dict() for al in self.alignments],
            "unique": [u.to_dict() for u in self.unique],
            "entities": [e.to_dict() for e in self.entities],
            "sentences": [s.to_dict() for s in self.sentences],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise the report as JSON text in the documented schema."""
        import json

        return json.dumps(self.to_json_dict(), ensure_ascii=False, indent=indent)
