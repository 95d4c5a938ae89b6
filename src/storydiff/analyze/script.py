"""Which writing system and language a text is in, and what that means for how storydiff reads it."""

from __future__ import annotations

import unicodedata
from collections import Counter

MODEL_SCRIPT = "LATIN"  # the script storydiff's sentence, name and quote analysis is built for (English)
SAMPLE_CHARS = 5_000  # characters of the text sampled
MIN_MODEL_SHARE = 0.5  # share of the sampled letters that must be Latin for the analysis to apply


UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")  # words not split by spaces
UNSPACED_CHARS_PER_WORD = 2  # characters that count as one word in a script without spaces (Chinese words ~1.5)


def word_count(text: str) -> int:
    """Words of a text; in scripts without spaces (Chinese, Japanese, Thai) characters count in pairs."""
    unspaced = sum(1 for ch in text if ord(ch) > 0xDFF and unicodedata.name(ch, "").startswith(UNSPACED_SCRIPTS))
    return len(text.split()) + unspaced // UNSPACED_CHARS_PER_WORD


def unsupported_script(text: str) -> str | None:
    """The main script of a text when it is not Latin (e.g. "GEORGIAN", "CJK"), else None."""
    scripts: Counter[str] = Counter()
    for ch in text[:SAMPLE_CHARS]:
        if ch.isalpha():
            scripts[unicodedata.name(ch, "UNKNOWN").split()[0]] += 1
    total = sum(scripts.values())
    if not total or scripts[MODEL_SCRIPT] / total >= MIN_MODEL_SHARE:
        return None
    return scripts.most_common(1)[0][0]


def language_name(code: str) -> str:
    """The English name of a language code ("ru" -> "Russian"), or the code when it has none."""
    try:
        from babel import Locale, UnknownLocaleError

        return str(Locale.parse(code).get_display_name("en")) if code else ""
    except (ImportError, ValueError, UnknownLocaleError):
        return code


def script_note(text: str, language: str = "") -> str | None:
    """A one-line note for a report the English name model does not read, or None."""
    script = unsupported_script(text)
    if language in ("", "en") and script is None:
        return None
    where = f"in {language_name(language)} ({language})" if language else "in a language storydiff could not tell"
    if script is not None:
        where += f", {script if len(script) <= 3 else script.title()} script"  # "CJK", "Georgian"
    return (f"{where}: storydiff has no name model for it, so its names are the ones the other reports use "
            "and its capitalised words; facts are aligned with a multilingual model")
