"""Which writing system a text is in: the sentence and name rules and the spaCy model read Latin script only."""

from __future__ import annotations

import unicodedata
from collections import Counter

MODEL_SCRIPT = "LATIN"  # the script storydiff's sentence, name and quote analysis is built for (English)
SAMPLE_CHARS = 5_000  # characters of the text sampled
MIN_MODEL_SHARE = 0.5  # share of the sampled letters that must be Latin for the analysis to apply


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


def script_note(text: str) -> str | None:
    """A one-line note for a text the analysis does not cover, or None."""
    script = unsupported_script(text)
    if script is None:
        return None
    name = script if len(script) <= 3 else script.title()  # "CJK", "Georgian"
    return (f"written in {name} script, which storydiff has no model for: names and quotes "
            "in it are not found, so it is compared on numbers, dates and wording only")
