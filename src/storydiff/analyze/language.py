"""The language a report is written in, read from its text (page metadata is only a hint)."""

from __future__ import annotations

import re
import sys
import threading
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_CHARS = 1_000  # characters read (headline and lead): language is settled long before the end of a report
SURE_PROBABILITY = 0.95  # the whole sample read this surely needs no vote by paragraph (one model call, ~1 ms)
MIN_LETTERS = 40  # fewer letters than this is too little text to trust over the page's own tag
MIN_CONFIDENCE = 0.6  # below this the page's tag, or "unknown": no wrong guess on 5,000 English headlines above it
SURE_LETTERS = 300  # from this many letters on, the top guess is the language or a close relative of it
MIN_PARAGRAPH_LETTERS = 25  # shorter paragraphs (captions, bylines, menu items) do not vote
DETECTOR = "py3langid"  # the backend named with every detected language
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}
_LETTER = re.compile(r"[^\W\d_]")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """An ISO 639-1 code with how sure the detector was and where the answer came from."""

    code: str  # "" when nothing could be read
    confidence: float = 0.0
    basis: str = "text"  # text | metadata | none


def identifier_cache_path() -> Path:
    """Where set-up keeps the identifier's arrays unpacked: unpacking the shipped model costs 0.75 s in every
    process (each ingest worker), reading these 0.2 s. It is named for the py3langid version that wrote it."""
    from importlib.metadata import version

    return Path(sys.prefix) / "share" / "storydiff" / f"langid-{version('py3langid')}.npz"


def build_identifier_cache() -> Path:
    """Write the identifier's arrays, unpacked, for later processes (`make setup`)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    lid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    path = identifier_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".tmp").open("wb") as fh:
        np.savez(fh, ptc=lid.nb_ptc, pc=lid.nb_pc, classes=np.array(lid.nb_classes),
                 nextmove=np.frombuffer(lid.tk_nextmove, dtype=np.dtype(lid.tk_nextmove.typecode)),
                 row=np.frombuffer(lid.tk_row, dtype=np.dtype(lid.tk_row.typecode)),
                 output=np.asarray(lid.tk_output, dtype=np.int64))
    path.with_suffix(".tmp").replace(path)
    return path


def _load_cached() -> Any:
    """The identifier from the unpacked arrays (plain arrays, no pickle), or None when they are missing or stale."""
    from py3langid.langid import LanguageIdentifier

    try:
        with np.load(identifier_cache_path(), allow_pickle=False) as data:
            nextmove, row = array(data["nextmove"].dtype.char), array(data["row"].dtype.char)
            nextmove.frombytes(data["nextmove"].tobytes())
            row.frombytes(data["row"].tobytes())
            return LanguageIdentifier(data["ptc"], data["pc"], data["classes"].tolist(), nextmove,
                                      data["output"].tolist(), norm_probs=True, tk_row=row)
    except (OSError, KeyError, ValueError, TypeError):
        return None


def _identifier() -> Any:
    with _LOCK:
        if "lid" not in _STATE:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            lid = _load_cached() or LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            # ISO 639-1 codes only, as stored: the model's three-letter classes are regional varieties and creoles
            # of languages it also knows (pcm ~ en, arz ~ ar, yue ~ zh), which it takes short texts for
            lid.set_languages(sorted({c for c in lid.nb_classes if len(c) == 2}))
            _STATE["lid"] = lid
        return _STATE["lid"]


def normalise_tag(tag: str) -> str:
    """A page's language tag ("en-GB", "pt_BR", "EN") as a bare lowercase ISO 639-1 code, or ""."""
    tag = (tag or "").strip()
    if not _TAG.match(tag):
        return ""
    return re.split(r"[-_]", tag)[0].lower()[:3]


_SYLLABIC = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")  # Kana, Han, Hangul: a word or syllable each
SYLLABIC_WEIGHT = 3  # one such character tells the language about as much as three letters of an alphabet


def _letters(text: str) -> int:
    """Letters of a text, a Han, Kana or Hangul character counting as several (35 Han make a sentence)."""
    return len(_LETTER.findall(text)) + (SYLLABIC_WEIGHT - 1) * len(_SYLLABIC.findall(text))


def detect_language(text: str, hint: str = "") -> LanguageGuess:
    """The language of a report's text: the body's paragraphs vote by length, so an embedded quote in
    another language or an English caption does not decide it; `hint` (the page's tag) settles short
    or uncertain texts."""
    hint = normalise_tag(hint)
    sample = (text or "")[:SAMPLE_CHARS]
    if _letters(sample) < MIN_LETTERS:
        return LanguageGuess(hint, 0.0, "metadata") if hint else LanguageGuess("", 0.0, "none")
    lid = _identifier()
    code, prob = lid.classify(sample)
    if prob < SURE_PROBABILITY or _mixed_scripts(sample):  # a quote or caption in another language or script
        code, prob = _vote(lid, sample, code, prob)  # paragraphs vote by length: the body's language wins
    if prob < MIN_CONFIDENCE and (hint or _letters(sample) < SURE_LETTERS):
        # an unsure guess on a short text (a headline) is wrong more often than not: the tag, else unknown
        return LanguageGuess(hint, round(float(prob), 3), "metadata") if hint else LanguageGuess("", round(float(prob), 3), "none")
    # on a long text an unsure guess splits its weight between close relatives (hr / sr / bs, id / ms): keep it
    return LanguageGuess(str(code), round(float(prob), 3), "text")


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
MIXED_SHARE = 0.1  # letters outside the main script (Latin or not) past this share make a text mixed


def _mixed_scripts(text: str) -> bool:
    """True when Latin and other letters both hold a real share of the text (a script the model reads
    strongly, Greek or Cyrillic, would outvote a longer Latin body in one call)."""
    letters = len(_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return bool(letters) and MIXED_SHARE < latin / letters < 1 - MIXED_SHARE


def _vote(lid: Any, sample: str, whole_code: str, whole_prob: float) -> tuple[str, float]:
    """The language most of the text's letters are in, each paragraph voting by its length."""
    votes: Counter[str] = Counter()
    for para in re.split(r"\n\s*\n|\n", sample):
        if _letters(para) >= MIN_PARAGRAPH_LETTERS:
            code, prob = lid.classify(para)
            votes[code] += _letters(para) * prob
    if not votes:
        return whole_code, whole_prob
    code = votes.most_common(1)[0][0]
    share = votes[code] / sum(votes.values())
    if code != whole_code and share < MIN_CONFIDENCE:  # split evenly: short paragraphs mislead the model
        return whole_code, whole_prob
    return code, (whole_prob if code == whole_code else share)


def article_language(title: str, body: str, hint: str = "") -> str:
    """The language code to store for an article: its headline and body, the page's tag as a hint."""
    return detect_language(f"{title}\n\n{body}" if title else body, hint).code


__all__ = ["DETECTOR", "LanguageGuess", "article_language", "build_identifier_cache", "detect_language",
           "identifier_cache_path", "normalise_tag"]


if __name__ == "__main__":  # set-up step: `python -m storydiff.analyze.language --build`
    if "--build" in sys.argv:
        print(f"language identifier written to {build_identifier_cache()}")
