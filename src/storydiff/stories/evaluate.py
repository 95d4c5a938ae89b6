"""Scores of a clustering against gold labels: B-cubed precision/recall/F1 and the adjusted Rand index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClusterScores:
    """B-cubed precision, recall and F1 (per-item averages) and the adjusted Rand index."""

    precision: float
    recall: float
    f1: float
    ari: float


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1: per article, how much of its cluster is its story and vice versa."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted labels for {len(gold)} gold labels")
    n = len(gold)
    if not n:
        return 1.0, 1.0, 1.0
    pred_size, gold_size = Counter(predicted), Counter(gold)
    both = Counter(zip(predicted, gold, strict=True))
    precision = sum(c * c / pred_size[p] for (p, _), c in both.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in both.items()) / n
    return precision, recall, 2 * precision * recall / (precision + recall)


def adjusted_rand(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """Adjusted Rand index (1 = identical partitions, about 0 = chance)."""
    def pairs(k: float) -> float:
        return k * (k - 1) / 2

    n = len(gold)
    both = sum(pairs(c) for c in Counter(zip(predicted, gold, strict=True)).values())
    a = sum(pairs(c) for c in Counter(predicted).values())
    b = sum(pairs(c) for c in Counter(gold).values())
    expected = a * b / pairs(n) if n > 1 else 0.0
    top = (a + b) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def score(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> ClusterScores:
    """All scores of one clustering."""
    p, r, f = bcubed(predicted, gold)
    return ClusterScores(p, r, f, adjusted_rand(predicted, gold))
