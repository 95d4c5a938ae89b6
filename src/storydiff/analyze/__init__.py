"""Analysis of one article: sentences with their names, quotes, numbers and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from storydiff.analyze._nlp import backend_name, load_spacy
from storydiff.analyze.dates import find_dates, parse_published
from storydiff.analyze.entities import (
    HONORIFICS,
    capitalised_names,
    mentions_by_regex,
    mentions_from_doc,
    person_shaped,
    role_mentions,
)
from storydiff.analyze.quantities import find_quantities
from storydiff.analyze.quotes import quotes_with_speaker
from storydiff.analyze.script import unsupported_script
from storydiff.analyze.sentences import split_body
from storydiff.model import Article, Mention, Quote, Sentence


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """Options of the analysis stage."""

    use_model: bool = True  # spaCy parser + NER; False uses the regex fallback


def analyze_article(article: Article, *, options: AnalyzeOptions | None = None) -> tuple[Sentence, ...]:
    """Split an article into sentences and find each one's names, quotes, numbers and dates."""
    options = options or AnalyzeOptions()
    pairs = split_body(article.paragraphs)
    named = has_name_model(article.language, article.body)
    nlp = load_spacy() if options.use_model and named else None
    docs = list(nlp.pipe([s for _, s in pairs], batch_size=64)) if nlp is not None else [None] * len(pairs)
    published = parse_published(article.published)
    sentences: list[Sentence] = []
    last_person = ""
    for index, ((para, text), doc) in enumerate(zip(pairs, docs, strict=True)):
        if doc is not None:
            mentions = mentions_from_doc(doc, article.id, index)
        elif named:
            mentions = mentions_by_regex(text, article.id, index)
        else:
            mentions = capitalised_names(text, article.id, index, article.language)
        if named:
            mentions = mentions + role_mentions(text, article.id, index, mentions)
        quotes = quotes_with_speaker(text, doc)
        persons = [m for m in mentions if m.label == "PERSON"]
        if quotes and quotes[0].speaker.lower() in ("he", "she"):
            # "he" is the last person named before the pronoun, in this sentence or an earlier one
            pos = text.lower().find(f" {quotes[0].speaker.lower()} ")
            before = [m.text for m in persons if m.start < pos]
            who = before[-1] if before else last_person
            if who:
                quotes = tuple(Quote(q.text, who) for q in quotes)
        if persons:
            last_person = persons[-1].text
        sentences.append(
            Sentence(
                article=article.id,
                index=index,
                text=text,
                paragraph=para,
                mentions=tuple(mentions),
                quotes=quotes,
                quantities=tuple(find_quantities(text)),
                dates=tuple(find_dates(text, published, article.language)),
            )
        )
    return _propagate_names(sentences)


NAME_MODEL_LANGUAGES = frozenset({"en"})  # languages the installed spaCy pipeline (and the role words) read


def has_name_model(language: str, text: str = "") -> bool:
    """True when the English name model applies: an English report, or one of unknown language in Latin script."""
    if language:
        return language in NAME_MODEL_LANGUAGES
    return unsupported_script(text) is None


def _propagate_names(sentences: list[Sentence]) -> tuple[Sentence, ...]:
    """Tag later bare uses of a name the article gave in full ("Viļumsons" after "Andžejs Viļumsons")."""
    known: dict[str, str] = {}
    for s in sentences:
        for m in s.mentions:
            parts = m.text.split()
            if len(parts) >= 2 and (m.label == "PERSON" or (m.label == "ORG" and person_shaped(parts))):
                for part in parts:
                    if part[:1].isupper() and len(part) > 2 and part.rstrip(".").lower() not in HONORIFICS:
                        known.setdefault(part, m.label)
    if not known:
        return tuple(sentences)
    out = []
    for s in sentences:
        added = []
        for tok in _TOKEN.finditer(s.text):
            word = tok.group(0)
            if word in known and not any(x.start <= tok.start() < x.end for x in s.mentions):
                added.append(Mention(s.article, s.index, word, known[word], tok.start(), tok.end()))
        out.append(replace(s, mentions=tuple(sorted(s.mentions + tuple(added), key=lambda x: x.start))) if added else s)
    return tuple(out)


_TOKEN = re.compile(r"\b[A-Z][\w’'-]+")


def analysis_backend(options: AnalyzeOptions | None = None) -> str:
    """Name of the analysis backend the options select."""
    options = options or AnalyzeOptions()
    return backend_name() if options.use_model else "regex.v1"


__all__ = ["AnalyzeOptions", "analysis_backend", "analyze_article", "has_name_model"]
