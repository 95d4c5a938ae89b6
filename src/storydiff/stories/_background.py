"""What unrelated articles look like to the embedder: the mean vector and the spread of their similarities."""

from __future__ import annotations

import numpy as np

RESERVOIR = 512  # vectors kept as a uniform sample of everything seen (memory: 512 x dims floats)
PAIRS_PER_VECTOR = 16  # similarities to random earlier vectors measured for each new vector
WARM_UP = 200  # similarity samples needed before the measured spread replaces the defaults
DEFAULT_SD = 0.12  # typical spread of cosine between unrelated news texts (MiniLM-like models)


class Background:
    """Streaming estimate of the mean article vector and of unrelated-pair similarity (mean, sd)."""

    def __init__(self, dims: int, seed: int = 0) -> None:
        self.dims = dims
        self.n = 0  # vectors seen
        self.total = np.zeros(dims, dtype=np.float64)
        self.reservoir = np.zeros((0, dims), dtype=np.float32)
        self.pairs = 0  # similarity samples taken
        self.sim_mean = 0.0
        self.sim_m2 = 0.0  # Welford's running sum of squared deviations
        self._rng = np.random.default_rng(seed)
        self._kept: list[np.ndarray] = []  # vectors waiting to enter the reservoir

    @property
    def mean(self) -> np.ndarray:
        """The mean of every vector seen (subtracted before cosine, so common topics do not dominate)."""
        return (self.total / max(self.n, 1)).astype(np.float32)

    @property
    def sd(self) -> float:
        """The spread of similarity between unrelated articles, the unit of every threshold."""
        if self.pairs < WARM_UP:
            return DEFAULT_SD
        return float(max(np.sqrt(self.sim_m2 / (self.pairs - 1)), 1e-3))

    @property
    def centre(self) -> float:
        """Mean similarity between unrelated articles (about 0 once vectors are centred)."""
        return self.sim_mean if self.pairs >= WARM_UP else 0.0

    def observe(self, vectors: np.ndarray) -> None:
        """Fold new raw vectors into the mean, the reservoir and the similarity statistics."""
        for vec in np.atleast_2d(vectors):
            self.n += 1
            self.total += vec
            if len(self.reservoir) >= 2:
                mu = self.mean
                pick = self._rng.integers(0, len(self.reservoir), min(PAIRS_PER_VECTOR, len(self.reservoir)))
                others = self.reservoir[pick] - mu
                mine = vec - mu
                norms = np.linalg.norm(others, axis=1) * max(float(np.linalg.norm(mine)), 1e-9)
                sims = (others @ mine) / np.maximum(norms, 1e-9)
                self._fold(sims.astype(np.float64))
            if len(self.reservoir) < RESERVOIR:
                self._kept.append(vec.astype(np.float32))
                if len(self._kept) >= 64 or len(self.reservoir) + len(self._kept) >= RESERVOIR or len(self.reservoir) < 2:
                    self._flush()
            else:
                slot = int(self._rng.integers(0, self.n))
                if slot < RESERVOIR:
                    self.reservoir[slot] = vec

    def _flush(self) -> None:
        """Move buffered vectors into the reservoir (one stack instead of one per vector)."""
        if self._kept:
            self.reservoir = np.vstack([self.reservoir, np.asarray(self._kept, dtype=np.float32)])
            self._kept = []

    def _fold(self, sims: np.ndarray) -> None:
        """Merge a batch of similarity samples into the running mean and M2 (Chan et al.)."""
        k = len(sims)
        if not k:
            return
        b_mean = float(sims.mean())
        b_m2 = float(((sims - b_mean) ** 2).sum())
        total = self.pairs + k
        delta = b_mean - self.sim_mean
        self.sim_mean += delta * k / total
        self.sim_m2 += b_m2 + delta * delta * self.pairs * k / total
        self.pairs = total

    def to_state(self) -> dict[str, object]:
        """Plain data for saving."""
        self._flush()
        return {"dims": self.dims, "n": self.n, "total": self.total.tolist(),
                "reservoir": self.reservoir.tolist(), "pairs": self.pairs,
                "sim_mean": self.sim_mean, "sim_m2": self.sim_m2,
                "rng": self._rng.bit_generator.state}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Background:
        """Rebuild from `to_state` output."""
        bg = cls(int(state["dims"]))  # type: ignore[call-overload]
        bg.n = int(state["n"])  # type: ignore[call-overload]
        bg.total = np.asarray(state["total"], dtype=np.float64)
        bg.reservoir = np.asarray(state["reservoir"], dtype=np.float32).reshape(-1, bg.dims)
        bg.pairs = int(state["pairs"])  # type: ignore[call-overload]
        bg.sim_mean = float(state["sim_mean"])  # type: ignore[arg-type]
        bg.sim_m2 = float(state["sim_m2"])  # type: ignore[arg-type]
        if state.get("rng"):
            bg._rng.bit_generator.state = state["rng"]  # type: ignore[assignment]
        return bg
