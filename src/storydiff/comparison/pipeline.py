"""`compare`: several reports of one event in, a Report out (agreement, additions, omissions, differences)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from storydiff.analyze import AnalyzeOptions, analysis_backend, analyze_article, has_name_model
from storydiff.analyze.embed import get_embedder
from storydiff.comparison.align import AlignOptions, align_articles, group_pairs
from storydiff.comparison.discrepancies import kind_of, sentence_differences
from storydiff.comparison.headlines import compare_headlines
from storydiff.comparison.names import name_differences
from storydiff.errors import InputError, UsageError
from storydiff.model import Alignment, Article, Entity, Report, Sentence, SentenceRef, Unique
from storydiff.resolve.aliases import ResolveOptions, name_tokens, resolve_entities
from storydiff.resolve.known_names import add_known_names
from storydiff.resolve.mt import machine_translation_signal
from storydiff.resolve.roles import attach_roles

MAX_ARTICLES = 50  # per comparison: alignment cost grows with the square of the number of reports


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """Options of `compare`, one field per stage."""

    embedder: str = "auto"  # minilm | model2vec | hashing | auto
    published: str | None = None  # date assumed for inputs that carry none (ISO)
    analyze: AnalyzeOptions = field(default_factory=AnalyzeOptions)
    align: AlignOptions = field(default_factory=AlignOptions)
    resolve: ResolveOptions = field(default_factory=ResolveOptions)
    max_articles: int = MAX_ARTICLES


def load_inputs(inputs: Iterable[str | os.PathLike[str] | Article], published: str | None = None,
                errors: list[InputError] | None = None) -> list[Article]:
    """Turn paths, URLs and Articles into Articles with distinct ids; collect bad inputs into `errors` if given."""
    from storydiff.ingest.readers import read_article
    from storydiff.ingest.sources import input_key

    articles = []
    seen: set[str] = set()
    for item in inputs:
        if not isinstance(item, Article):
            key = input_key(item)
            if key in seen:  # the same file or URL named twice is one report, not two that agree
                if errors is not None:
                    errors.append(InputError(str(item), "given more than once; read once"))
                continue
            seen.add(key)
        try:
            art = item if isinstance(item, Article) else read_article(
                str(item) if str(item).startswith(("http://", "https://")) else Path(item), published=published)
        except InputError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        if published and not art.published:
            art = replace(art, published=published)
        articles.append(art)
    return _distinct_ids(articles)


def _distinct_ids(articles: list[Article]) -> list[Article]:
    seen: dict[str, int] = {}
    out = []
    for art in articles:
        base = art.id or "article"
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(art if n == 0 and art.id else replace(art, id=f"{base}-{n + 1}"))
    return out


def compare(inputs: Iterable[str | os.PathLike[str] | Article], *, options: CompareOptions | None = None,
            **overrides: object) -> Report:
    """Compare reports of one event: align their sentences and list agreement, additions and differences."""
    options = options or CompareOptions()
    if overrides:
        options = replace(options, **overrides)  # type: ignore[arg-type]
    articles = load_inputs(inputs, options.published)
    if len(articles) < 2:
        raise UsageError("compare needs at least two reports of the event")
    if len(articles) > options.max_articles:
        raise UsageError(f"compare takes at most {options.max_articles} reports at once (got {len(articles)}): "
                         "alignment cost grows with the square of the number of reports")
    return compare_articles(articles, options)


def compare_articles(articles: Sequence[Article], options: CompareOptions) -> Report:
    """Compare already-loaded articles (the store and web UI call this)."""
    per_article = [analyze_article(a, options=options.analyze) for a in articles]
    per_article = add_known_names(per_article, [not has_name_model(a.language, a.body) for a in articles])
    sentences = [s for group in per_article for s in group]
    entities = resolve_entities([m for s in sentences for m in s.mentions], options.resolve)
    embedder = get_embedder(options.embedder)
    # each pair of reports with the model its languages need (the multilingual ones load only when needed)
    aligned_by = align_articles(per_article, embedder, options.align, languages=[a.language for a in articles])
    pairs = aligned_by.pairs
    by_ref = {s.ref: s for s in sentences}
    entities = attach_roles(entities, sentences, [(p.a, p.b) for p in pairs])
    same_entity = _entity_matcher(entities)
    entity_of = {(m.article, m.text): e for e in entities for m in e.mentions}
    alignments = []
    groups = group_pairs(pairs)
    for k, group in enumerate(sorted(groups, key=lambda g: min((p.a[0], p.a[1]) for p in g))):
        refs = sorted({p.a for p in group} | {p.b for p in group}, key=lambda r: ([a.id for a in articles].index(r[0]), r[1]))
        diffs = []
        for p in group:
            for d in [*sentence_differences(by_ref[p.a], by_ref[p.b], same_entity),
                      *name_differences(by_ref[p.a], by_ref[p.b], entity_of)]:
                if d not in diffs:
                    diffs.append(d)
        alignments.append(Alignment(
            id=f"a{k + 1}",
            sentences=tuple(SentenceRef(r[0], r[1], by_ref[r].text) for r in refs),
            score=round(max(p.score for p in group), 3),
            kind=kind_of(diffs),
            differences=tuple(diffs),
            links=tuple((p.a[0], p.a[1], p.b[0], p.b[1], p.score) for p in group),
        ))
    aligned = {r for g in groups for p in g for r in (p.a, p.b)}
    ids = [a.id for a in articles]
    unique = tuple(
        Unique(s.article, s.index, s.text, tuple(i for i in ids if i != s.article))
        for s in sentences if s.ref not in aligned
    )
    signals = {a.id: machine_translation_signal(a.id, entities, sentences) for a in articles}
    return Report(
        articles=tuple(articles),
        sentences=tuple(sentences),
        alignments=tuple(alignments),
        unique=unique,
        entities=tuple(entities),
        headlines=tuple(compare_headlines(articles)),
        machine_translated=signals,
        backends={"analysis": analysis_backend(options.analyze),
                  "embedding": ", ".join(dict.fromkeys(aligned_by.models.values())) or embedder.name,
                  "alignment": "cosine+lexical-margin.v1", "resolution": "aliases-garbles.v1"},
    )


def _entity_matcher(entities: Sequence[Entity]):  # type: ignore[no-untyped-def]
    """A test of whether two speaker phrases name the same person (True when either is unknown)."""
    index: dict[tuple[str, str], set[str]] = {}
    for e in entities:
        if e.label != "PERSON":
            continue
        for m in e.mentions:
            index.setdefault((m.article, m.text), set()).add(e.id)

    def people(article: str, phrase: str) -> set[str]:
        found: set[str] = set()
        for (art, text), ids in index.items():
            if art == article and text in phrase and name_tokens(text):
                found |= ids
        return found

    def same(article_a: str, speaker_a: str, article_b: str, speaker_b: str) -> bool:
        pa, pb = people(article_a, speaker_a), people(article_b, speaker_b)
        return not pa or not pb or bool(pa & pb)

    return same


def sentences_of(report: Report, article: str) -> list[Sentence]:
    """The analysed sentences of one article of a report."""
    return [s for s in report.sentences if s.article == article]
