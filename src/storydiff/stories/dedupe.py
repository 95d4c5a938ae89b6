"""Near-duplicate articles (syndicated and reprinted copies) with MinHash LSH over body shingles.

Each new article is compared with everything indexed before it: LSH proposes candidates whose
word-shingle sets overlap, and a candidate is a copy when the estimated Jaccard similarity, or
the estimated containment of the shorter body in the longer (a trimmed reprint), is high. Copies
point at the first-seen article of their group and carry a description of their edits (changed
headline, paragraphs added, removed, changed or re-ordered). Copies are kept, never deleted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz

from storydiff.model import Article

NUM_PERM = 128  # MinHash permutations: Jaccard estimates within about +-0.09 (2 sd)
SCHEME = "affine32"  # datasketch 2 hashing scheme; saved signatures are only comparable within one
STATE_VERSION = 1  # bump when the saved state's layout changes
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupeOptions:
    """What counts as a copy (measured on tests/test_dedupe.py's edited-reprint corpus)."""

    shingle_words: int = 4  # words per shingle: long enough that same-story rewrites share few
    lsh_threshold: float = 0.2  # Jaccard where LSH proposes candidates: low, as a copy keeping a third of a body has J 0.33
    min_jaccard: float = 0.5  # estimated Jaccard that makes a copy
    min_containment: float = 0.8  # or: this share of the shorter body's shingles is in the longer one
    min_paragraph_words: int = 10  # shorter paragraphs (bylines, credits) are not shingled when longer exist
    min_shingles: int = 8  # bodies with fewer shingles are matched only when identical
    paragraph_match: float = 90.0  # rapidfuzz ratio (0-100) above which two paragraphs are the same

    def is_copy(self, jaccard: Any, containment: Any) -> Any:
        """Whether a pair with this estimated Jaccard and containment is a copy (the verdict on every path).

        Numbers give a bool, arrays of pairs an array of them.
        """
        return (jaccard >= self.min_jaccard) | (containment >= self.min_containment)


@dataclass(frozen=True, slots=True)
class Edits:
    """What a copy changed relative to the first-seen article of its group."""

    headline: tuple[str, str] | None = None  # (original, copy) when the title changed
    added: tuple[str, ...] = ()  # paragraphs only in the copy (a byline, an editor's note)
    removed: tuple[str, ...] = ()  # paragraphs only in the original (trimmed ones)
    changed: tuple[tuple[str, str], ...] = ()  # (original, copy) paragraphs lightly rewritten
    reordered: bool = False  # shared paragraphs appear in another order
    trimmed_end: bool = False  # the removed paragraphs were the original's last ones

    @property
    def summary(self) -> str:
        """One line for reports: the kinds of edit made."""
        parts = []
        if self.headline:
            parts.append("changed headline")
        if self.trimmed_end:
            parts.append(f"trimmed {len(self.removed)} closing paragraph(s)")
        elif self.removed:
            parts.append(f"removed {len(self.removed)} paragraph(s)")
        if self.added:
            parts.append(f"added {len(self.added)} paragraph(s)")
        if self.changed:
            parts.append(f"reworded {len(self.changed)} paragraph(s)")
        if self.reordered:
            parts.append("re-ordered paragraphs")
        return ", ".join(parts) or "identical"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data, with the one-line summary."""
        return {**dataclasses.asdict(self), "summary": self.summary}


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An article found to reprint an earlier one."""

    article: str
    duplicate_of: str  # the first-seen article of the group
    similarity: float  # estimated Jaccard of the shingle sets
    containment: float  # estimated share of the shorter body found in the longer
    edits: Edits = field(default_factory=Edits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return {"article": self.article, "duplicate_of": self.duplicate_of, "similarity": self.similarity,
                "containment": self.containment, "edits": self.edits.to_dict()}


def shingles(text: str, words: int, min_paragraph_words: int = 0) -> set[str]:
    """Word n-grams of each paragraph, lower-cased (never across paragraphs, so re-ordering changes none).

    Paragraphs shorter than `min_paragraph_words` (bylines, datelines, "From our wire services") are
    left out when longer ones exist: they are shared by unrelated articles of one outlet.
    """
    paras = [_TOKEN.findall(p.lower()) for p in re.split(r"\n\s*\n", text)]
    paras = [p for p in paras if p]
    long_ones = [p for p in paras if len(p) >= min_paragraph_words]
    out: set[str] = set()
    for tokens in long_ones or paras:
        if len(tokens) < words:
            out.add(" ".join(tokens))
            continue
        out.update(" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1))
    return out


_PERMUTATIONS: dict[str, Any] = {}  # the permutations are drawn once (datasketch redraws them per MinHash)


def _minhash(hashvalues: np.ndarray | None = None) -> MinHash:
    """A MinHash sharing one set of permutations, empty or from saved hash values."""
    if "p" not in _PERMUTATIONS:
        _PERMUTATIONS["p"] = MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations
    return MinHash(num_perm=NUM_PERM, hashvalues=hashvalues, permutations=_PERMUTATIONS["p"], scheme=SCHEME)


def body_key(text: str) -> str:
    """Hash of a body's lower-cased words: bodies that differ only in case, spacing or punctuation share it."""
    return hashlib.sha1(" ".join(_TOKEN.findall(text.lower())).encode()).hexdigest()


def signature(shingle_set: Iterable[str]) -> np.ndarray:
    """MinHash hash values of a shingle set, with the permutations every index shares."""
    sig = _minhash()
    sig.update_batch([s.encode() for s in shingle_set])
    return sig.hashvalues


def overlap(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int) -> tuple[float, float]:
    """Estimated Jaccard similarity of two shingle sets and containment of the smaller in the larger."""
    jac = float(np.mean(sig_a == sig_b))
    return jac, float(containment(jac, size_a, size_b))


def containment(jac: Any, size_a: Any, size_b: Any) -> Any:
    """Containment of the smaller shingle set in the larger, from their Jaccard similarity and sizes (or arrays)."""
    # |A and B| = J (|A| + |B|) / (1 + J); containment divides it by the smaller set
    return np.minimum(1.0, jac * (size_a + size_b) / ((1 + jac) * np.minimum(size_a, size_b)))


class DedupeIndex:
    """Incremental near-duplicate index: `add` each article once, in arrival order."""

    def __init__(self, options: DedupeOptions | None = None) -> None:
        self.options = options or DedupeOptions()
        self._lsh = MinHashLSH(threshold=self.options.lsh_threshold, num_perm=NUM_PERM)
        self._rows: dict[str, int] = {}  # article id -> its row in _matrix (MinHash values) and _size_array
        self._matrix = np.zeros((0, NUM_PERM), dtype=np.uint32)  # every signature, for one-shot candidate checks
        self._size_array = np.zeros(0, dtype=np.float64)
        self._exact: dict[str, str] = {}  # normalised-body hash -> first article with it
        self._root: dict[str, str] = {}  # copy id -> first-seen article of its group
        self._articles: dict[str, tuple[str, str]] = {}  # first-seen id -> (title, body) for edit diffs

    def add(self, article: Article) -> Duplicate | None:
        """Index one article; return what it reprints (the group's first article), or None."""
        body = article.body.strip()
        if not body or article.id in self._rows or article.id in self._root:
            return None
        opts = self.options
        key = body_key(body)
        shingle_set = shingles(body, opts.shingle_words, opts.min_paragraph_words)
        found: Duplicate | None = None
        if key in self._exact:
            found = self._duplicate(article, self._exact[key], 1.0, 1.0)
        elif len(shingle_set) >= opts.min_shingles:
            hashvalues = signature(shingle_set)
            found = self._match(article, hashvalues, len(shingle_set))
            self._insert(article.id, hashvalues, len(shingle_set))
        if found is None:
            self._exact.setdefault(key, article.id)
            self._articles[article.id] = (article.title, body)
            return None
        self._root[article.id] = found.duplicate_of
        return found

    def duplicate_of(self, article_id: str) -> str | None:
        """The first-seen article an indexed article reprints, or None for an original."""
        return self._root.get(article_id)

    def groups(self) -> dict[str, list[str]]:
        """Every group of copies: first-seen article id -> its copies in arrival order."""
        out: dict[str, list[str]] = {}
        for copy, root in self._root.items():
            out.setdefault(root, []).append(copy)
        return out

    def to_state(self) -> dict[str, Any]:
        """The index as plain JSON-ready data (signatures, sizes, groups, originals' text for diffs)."""
        return {
            "version": STATE_VERSION,
            "options": {f: getattr(self.options, f) for f in DedupeOptions.__dataclass_fields__},
            "sigs": {k: self._matrix[row].tolist() for k, row in self._rows.items()},
            "sizes": {k: int(self._size_array[row]) for k, row in self._rows.items()},
            "exact": dict(self._exact),
            "root": dict(self._root),
            "articles": {k: list(v) for k, v in self._articles.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DedupeIndex:
        """Rebuild the index (and its LSH tables) from `to_state` output."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"dedupe state version {state.get('version')!r} is not {STATE_VERSION}")
        self = cls(DedupeOptions(**state["options"]))
        for key, values in state["sigs"].items():
            self._insert(key, np.asarray(values, dtype=np.uint32), int(state["sizes"][key]))
        self._exact = dict(state["exact"])
        self._root = dict(state["root"])
        self._articles = {k: (v[0], v[1]) for k, v in state["articles"].items()}
        return self

    # --- internals ----------------------------------------------------------------------------

    def _insert(self, article_id: str, hashvalues: np.ndarray, size: int) -> None:
        sig = _minhash(hashvalues)
        self._lsh.insert(article_id, sig)
        row = len(self._rows)
        if row >= len(self._matrix):  # grow by doubling
            cap = max(256, 2 * len(self._matrix))
            self._matrix = np.vstack([self._matrix, np.zeros((cap - len(self._matrix), NUM_PERM), np.uint32)])
            self._size_array = np.concatenate([self._size_array, np.zeros(cap - len(self._size_array))])
        self._matrix[row] = hashvalues
        self._size_array[row] = size
        self._rows[article_id] = row

    def _match(self, article: Article, hashvalues: np.ndarray, size: int) -> Duplicate | None:
        """The best verified copy candidate among what LSH proposes."""
        cands = list(self._lsh.query(_minhash(hashvalues)))
        if not cands:
            return None
        # all candidates at once: pages sharing stock paragraphs can draw hundreds of them
        rows = np.fromiter((self._rows[c] for c in cands), dtype=np.int64, count=len(cands))
        jacs = (self._matrix[rows] == hashvalues).mean(axis=1)
        conts = containment(jacs, self._size_array[rows], size)
        hits = np.flatnonzero(self.options.is_copy(jacs, conts))
        if not len(hits):
            return None
        _, jac, cand, cont = max((max(float(jacs[i]), float(conts[i])), float(jacs[i]), cands[i], float(conts[i]))
                                 for i in hits)
        return self._duplicate(article, self._root.get(cand, cand), jac, cont)

    def _duplicate(self, article: Article, original: str, jac: float, cont: float) -> Duplicate:
        title, body = self._articles.get(original, ("", ""))
        edits = describe_edits(title, body, article.title, article.body, self.options.paragraph_match)
        return Duplicate(article.id, original, round(jac, 4), round(cont, 4), edits)


def _paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]


def describe_edits(orig_title: str, orig_body: str, copy_title: str, copy_body: str,
                   same: float = 90.0) -> Edits:
    """How a copy differs from its original, paragraph by paragraph (fuzzy-matched, order-aware)."""
    a, b = _paragraphs(orig_body), _paragraphs(copy_body)
    # pair each copy paragraph with its best original paragraph above `same`
    pair: dict[int, int] = {}
    used: set[int] = set()
    for j, pb in enumerate(b):
        scores = [(fuzz.ratio(pa, pb), i) for i, pa in enumerate(a) if i not in used]
        if scores:
            score, i = max(scores)
            if score >= same:
                pair[j] = i
                used.add(i)
    added = tuple(b[j] for j in range(len(b)) if j not in pair)
    removed_idx = [i for i in range(len(a)) if i not in used]
    removed = tuple(a[i] for i in removed_idx)
    changed = tuple((a[i], b[j]) for j, i in sorted(pair.items()) if a[i] != b[j])
    order = [pair[j] for j in sorted(pair)]
    matcher = SequenceMatcher(a=sorted(order), b=order, autojunk=False)
    reordered = matcher.ratio() < 1.0
    trimmed_end = bool(removed_idx) and removed_idx == list(range(len(a) - len(removed_idx), len(a)))
    norm_a, norm_b = " ".join(orig_title.split()), " ".join(copy_title.split())
    headline = (norm_a, norm_b) if norm_a != norm_b else None
    return Edits(headline, added, removed, changed, reordered, trimmed_end)
