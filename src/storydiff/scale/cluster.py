"""Story clustering on Spark: the library's streaming `StoryClusterer`, run on blocks of time in parallel, then stitched.

The embedded clusterer only compares an article with the stories active in the last `active_days`,
so the stream can be cut into time blocks: block k holds `block_windows` windows of `active_days`
and is preceded by a warm-up of `warmup_windows` windows (the end of block k-1), replayed so that the
stories open at the block's start exist when its first article arrives. Every block starts from the
same state: the whole corpus's background statistics (mean vector and unrelated-pair similarity,
what `cluster_articles` measures before placing anything). Blocks then run independently
(`applyInPandas`, one block per task). A warm-up article has a story in both blocks; those pairs of
story ids link them: each later-block story continues the earlier story holding most of its warm-up
articles (one way, so a replay never merges two stories its block kept apart). Each article
costs the same whatever the corpus size (its block and warm-up are bounded in time), so the
work grows linearly and spreads over as many tasks as there are blocks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from storydiff.model import Article
from storydiff.scale._session import PandasBatches, PandasGroup
from storydiff.stories._background import Background
from storydiff.stories.cluster import DAY, ClusterOptions, StoryClusterer

BACKGROUND_SAMPLE = 4000  # vectors replayed on the driver to measure unrelated-pair similarity
EMBED_SCHEMA = "id string, tk double, vec array<float>, head string, backend string"
LABEL_SCHEMA = "id string, block long, warm boolean, label string"
INF = float("inf")


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockOptions:
    """How the stream is cut for parallel clustering."""

    block_windows: int = 4  # windows of `active_days` per block: larger is closer to one stream, fewer tasks
    warmup_windows: int = 1  # windows replayed before a block (at least 1: a story idle longer is closed)


def _embed(options: ClusterOptions) -> PandasBatches:
    """mapInPandas: articles -> the library's title+lead vectors, and the lead words the clusterer reads."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        clusterer = StoryClusterer(options)  # loads the embedder once per Python worker (cached)
        for pdf in batches:
            arts = [Article(id=i, body=b or "", title=t or "", subtitle=s or "")
                    for i, b, t, s in zip(pdf["id"], pdf["body"], pdf["title"], pdf["subtitle"], strict=True)]
            vecs = clusterer.embed(arts)
            # the clusterer reads only the first lead_words of a body (for names): blocks carry no more
            heads = [" ".join(a.body.split()[: options.lead_words]) for a in arts]
            yield pd.DataFrame({"id": pdf["id"], "tk": pdf["tk"], "vec": list(vecs), "head": heads,
                                "backend": clusterer.backend})

    return run


def _sums(batches: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas: one row per task with the number and the sum of its vectors."""
    import pandas as pd

    total, n = None, 0
    for pdf in batches:
        if len(pdf):
            part = np.stack(pdf["vec"].to_numpy()).astype(np.float64).sum(axis=0)
            total = part if total is None else total + part
            n += len(pdf)
    if total is not None:
        yield pd.DataFrame({"n": [n], "total": [total.tolist()]})


def background_state(vectors: Any) -> dict[str, Any]:
    """The corpus's background (exact mean; similarity spread from a deterministic sample of vectors)."""
    from pyspark.sql import functions as F

    parts = vectors.select("vec").mapInPandas(_sums, "n long, total array<double>").collect()
    total = np.sum([np.asarray(p["total"]) for p in parts], axis=0)
    sample = (vectors.select("vec", "tk", "id", F.xxhash64("id").alias("h")).orderBy("h")
              .limit(BACKGROUND_SAMPLE).collect())
    sample.sort(key=lambda r: (r["tk"], r["id"]))
    vecs = np.asarray([r["vec"] for r in sample], dtype=np.float32)
    bg = Background(vecs.shape[1])
    bg.observe(vecs)
    state = bg.to_state()
    state["n"] = sum(p["n"] for p in parts)
    state["total"] = total.tolist()
    return state


@dataclass(frozen=True, slots=True)
class _Named:
    """The executors' embedder as the driver sees it: only its name goes into the state."""

    name: str


def start_state(backend: str, background: dict[str, Any], options: ClusterOptions) -> dict[str, Any]:
    """A clusterer state with no story yet and the corpus's background: what every block starts from."""
    state = StoryClusterer(options, embedder=_Named(backend)).to_state()
    state.update(dims=background["dims"], background=background)
    return state


def _place(state: dict[str, Any]) -> PandasGroup:
    """applyInPandas: one block's articles, in arrival order, through a `StoryClusterer` started from `state`."""

    def run(pdf: Any) -> Any:
        import pandas as pd

        pdf = pdf.sort_values(["tk", "id"], kind="stable")
        clusterer = StoryClusterer.from_state(state)
        placed = []
        for art_id, body, title, subtitle, published, vec in zip(
                pdf["id"], pdf["body"], pdf["title"], pdf["subtitle"], pdf["published"], pdf["vec"], strict=True):
            art = Article(id=art_id, body=body or "", title=title or "", subtitle=subtitle or "", published=published)
            placed.append(clusterer.place(art, np.asarray(vec, dtype=np.float32), observed=True).story_id)
        return pd.DataFrame({"id": pdf["id"].to_numpy(), "block": pdf["block"].to_numpy(),
                             "warm": pdf["warm"].to_numpy(), "label": [clusterer.resolve(s) for s in placed]})

    return run


def cluster_stories(originals: Any, options: ClusterOptions | None = None,
                    blocks: BlockOptions | None = None) -> tuple[Any, str]:
    """(article id, story id) for every independent report, and the embedding backend used."""
    from pyspark.sql import functions as F

    options = options or ClusterOptions()
    blocks = blocks or BlockOptions()
    vectors = originals.select("id", "tk", "body", "title", "subtitle").mapInPandas(_embed(options), EMBED_SCHEMA)
    vectors = vectors.localCheckpoint()
    backends = [r["backend"] for r in vectors.select("backend").distinct().collect()]
    if len(backends) != 1:
        raise RuntimeError(f"executors embedded with different backends {backends}: install the same model on all")
    state = start_state(backends[0], background_state(vectors), options)

    window = options.active_days * DAY
    per = blocks.block_windows
    # undated articles come last on both paths: they form one more block after the last dated one
    last = originals.where(F.col("tk") != INF).agg(F.max("tk")).first()[0]
    last_slice = math.floor(last / window) if last is not None else 0
    data = (originals.select("id", "tk", "title", "subtitle", "published")
            .join(vectors.select("id", "vec", F.col("head").alias("body")), "id")
            .withColumn("slice", F.when(F.col("tk") == INF, F.lit(last_slice + per)).otherwise(F.floor(F.col("tk") / window)))
            .withColumn("block", F.floor(F.col("slice") / per)))
    proper = data.withColumn("warm", F.lit(False))
    warm = (data.where((F.col("slice") % per) >= per - blocks.warmup_windows)
            .withColumn("block", F.col("block") + 1).withColumn("warm", F.lit(True)))
    rows = proper.unionByName(warm).drop("slice")
    labels = rows.groupBy("block").applyInPandas(_place(state), LABEL_SCHEMA).localCheckpoint()

    links = (labels.where("warm").alias("w")
             .join(labels.where("not warm").alias("p"), "id")
             .groupBy(F.col("p.block").alias("block"), F.col("p.label").alias("earlier"), F.col("w.label").alias("later"))
             .count().collect())
    mapping = _stitch([(r["block"], r["earlier"], r["later"], r["count"]) for r in links])
    spark = originals.sparkSession
    final = labels.where("not warm").select("id", "label")
    if mapping:
        table = spark.createDataFrame(sorted(mapping.items()), "label string, story string")
        final = final.join(F.broadcast(table), "label", "left")
        final = final.select("id", F.coalesce("story", "label").alias("story_id"))
    else:
        final = final.select("id", F.col("label").alias("story_id"))
    return final, backends[0]


def _stitch(links: list[tuple[int, str, str, int]]) -> dict[str, str]:
    """Map each story of a later block to the earlier block's story holding most of its warm-up articles.

    Links go one way, later to earlier: the earlier block placed the warm-up articles with its whole
    past, the replay with one window of it, so two stories the earlier block kept apart stay apart
    even when the replay put their articles together (joining both would over-merge, more so the more
    stories are open at once). Chains across blocks resolve to the first block's story.
    """
    best: dict[str, tuple[int, str]] = {}  # later story -> (its block, the earlier story it continues)
    for block, earlier, later, _ in sorted(links, key=lambda x: (x[2], -x[3], x[1])):  # most shared, then smallest id
        best.setdefault(later, (block, earlier))
    mapping: dict[str, str] = {}
    for later, (_, earlier) in sorted(best.items(), key=lambda kv: kv[1][0]):  # earlier blocks first
        mapping[later] = mapping.get(earlier, earlier)
    return mapping
