"""Story clustering: quality bars on the two labelled datasets, time separation, resumable state."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from storydiff.model import Article
from storydiff.stories.cluster import ClusterOptions, StoryClusterer, cluster_articles
from storydiff.stories.datasets import read_allsides, read_uci_headlines
from storydiff.stories.evaluate import adjusted_rand, bcubed, score

BACKEND = os.environ.get("STORYDIFF_CLUSTER_BACKEND", ClusterOptions().backend)  # the default backend
BAR = 0.85  # B-cubed F1 the issue asks for on both datasets


class FakeEmbedder:
    """Deterministic bag-of-words vectors: tests of the mechanics need no model."""

    name = "fake-bow.v1"

    def __init__(self, dims: int = 64) -> None:
        self.dims = dims

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word.strip(".,:"))) % self.dims] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def _art(i: int, title: str, day: int, body: str = "") -> Article:
    return Article(id=f"a{i}", title=title, body=body, published=f"2031-03-{day:02d}T12:00:00+00:00")


def test_scores() -> None:
    assert bcubed(["a", "a", "b"], [1, 1, 2]) == (1.0, 1.0, 1.0)
    p, r, _ = bcubed(["a", "a", "a"], [1, 1, 2])
    assert p == pytest.approx(5 / 9) and r == 1.0
    assert adjusted_rand(["x", "x", "y", "y"], [1, 1, 2, 2]) == pytest.approx(1.0)


def test_same_people_days_apart_are_two_stories() -> None:
    """Two calls between the same ministers a week apart: the time gap splits them."""
    first = [_art(i, f"Foreign ministers Kuleba and Wang hold phone call on ceasefire {w}", 1)
             for i, w in enumerate(["talks", "call", "update", "report"])]
    second = [_art(10 + i, f"Foreign ministers Kuleba and Wang hold phone call on ceasefire {w}", 8)
              for i, w in enumerate(["again", "anew", "second", "today"])]
    noise = [_art(20 + i, f"{w} unrelated market prices weather football", 1 + i % 8)
             for i, w in enumerate(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"] * 4)]
    result = cluster_articles(first + second + noise, ClusterOptions(), embedder=FakeEmbedder())
    labels = result.labels
    assert len(set(labels[:4])) == 1 and len(set(labels[4:8])) == 1
    assert labels[0] != labels[4]
    assert result.backend == "fake-bow.v1"


def test_state_round_trip_resumes_identically() -> None:
    arts = [_art(i, f"{t} {i % 3}", 1 + i // 10, body=f"{t} more words here")
            for i, t in enumerate(["harbour fire", "bridge vote", "grain prices", "ferry strike"] * 10)]
    straight = StoryClusterer(embedder=FakeEmbedder())
    for a in arts[:20]:
        straight.add(a)
    resumed = StoryClusterer.from_state(json.loads(json.dumps(straight.to_state())), embedder=FakeEmbedder())
    assert resumed.open_stories == straight.open_stories
    assert [resumed.add(a) for a in arts[20:]] == [straight.add(a) for a in arts[20:]]


def test_state_refuses_another_backend() -> None:
    clusterer = StoryClusterer(embedder=FakeEmbedder())
    clusterer.add(_art(1, "harbour fire", 1))
    state = clusterer.to_state()
    state["backend"] = "something-else.v1"
    with pytest.raises(Exception, match="built with something-else"):
        StoryClusterer.from_state(state, embedder=FakeEmbedder())


def test_idle_stories_are_closed() -> None:
    clusterer = StoryClusterer(ClusterOptions(active_days=3), embedder=FakeEmbedder())
    for day in range(1, 30):
        clusterer.add(_art(day, f"story number {day} with words {day * 7}", day))
    assert clusterer.open_stories <= 5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["uci", "allsides"])
def test_bcubed_bar(datasets_dir, name: str) -> None:  # type: ignore[no-untyped-def]
    if name == "uci":
        arts, gold = read_uci_headlines(datasets_dir / "uci-news-stories" / "headlines.csv")
    else:
        arts, gold = read_allsides(datasets_dir / "allsides-roundups" / "articles.jsonl")
    result = cluster_articles(arts, ClusterOptions(backend=BACKEND))
    s = score(result.labels, gold)
    print(f"{name} [{result.backend}]: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} ARI {s.ari:.3f}")
    assert s.f1 >= BAR


def test_merges_are_reported_and_resolved() -> None:
    clusterer = StoryClusterer(ClusterOptions(join_z=50.0, merge_z=-50.0), embedder=FakeEmbedder())
    first = clusterer.add(_art(1, "harbour fire destroys grain store", 1))
    second = clusterer.add(_art(2, "harbour fire destroys grain store again", 1))
    assert first != second  # the join threshold is unreachable: each article starts a story
    assert clusterer.drain_merges() == []
    merged = clusterer.consolidate()  # any two stories are close enough to merge
    assert merged and clusterer.drain_merges() == merged and clusterer.drain_merges() == []
    assert clusterer.open_stories == 1
    assert clusterer.resolve(first) == clusterer.resolve(second)


def test_undated_articles_are_clustered_without_time() -> None:
    arts = [Article(id=f"u{i}", body="", title=t) for i, t in
            enumerate(["harbour fire grain store", "harbour fire grain store blaze", "bridge vote council"] * 3)]
    result = cluster_articles(arts, ClusterOptions(), embedder=FakeEmbedder())
    assert len(result.labels) == 9 and result.stories >= 1


def test_public_api_is_exported() -> None:
    import storydiff.stories as stories

    assert stories.__all__ == sorted(stories.__all__)
    assert all(hasattr(stories, name) for name in stories.__all__)


def test_a_transformer_embeds_the_title_and_a_static_model_the_lead_too() -> None:
    class Transformer(FakeEmbedder):
        contextual = True  # its cost grows with the words it reads

    titled = Article(id="t", title="Harbour fire closes port", body="Crews fought the blaze overnight.")
    untitled = Article(id="u", title="", body="Crews fought the blaze overnight at the harbour.")
    dear = StoryClusterer(embedder=Transformer())
    assert dear.embed_text(titled) == "Harbour fire closes port"
    assert dear.embed_text(untitled) == "Crews fought the blaze overnight at the harbour."
    cheap = StoryClusterer(embedder=FakeEmbedder())
    assert cheap.embed_text(titled) == "Harbour fire closes port. Crews fought the blaze overnight."
    assert StoryClusterer(ClusterOptions(embed_words=3), embedder=Transformer()).embed_text(titled) == (
        "Harbour fire closes port. Crews fought the")
