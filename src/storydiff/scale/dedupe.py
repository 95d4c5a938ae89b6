"""Near-duplicates on Spark: candidates from MLlib `MinHashLSH`, verified exactly as `stories.dedupe` verifies them.

Each article gets dedupe.py's word shingles and its datasketch MinHash signature (the same 128
permutations the embedded index keeps). MLlib's MinHashLSH proposes pairs whose shingle sets overlap;
each pair is then accepted by the embedded rule (estimated Jaccard from the datasketch signatures,
or estimated containment of the shorter body), so a proposed pair gets the same verdict on both
paths. Like the embedded index, a copy points at its best earlier match, and its group's first
article is found by following those pointers; identical bodies (and bodies too short to shingle)
match by a hash of their words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from storydiff.scale._session import PandasBatches
from storydiff.stories.dedupe import DedupeOptions, body_key, describe_edits, overlap, shingles, signature

FEATURES = 1 << 30  # shingle hash space of the MLlib vectors (collisions only add candidates)
HASH_TABLES = 20  # MLlib MinHashLSH tables (OR of single hashes): a pair of Jaccard 0.3 is proposed with p > 0.999
JOIN_SLACK = 0.05  # the LSH join keeps pairs this much below the embedded LSH threshold (estimates vs exact)
MAX_HOPS = 20  # pointer-jumping rounds that find each copy's first-seen original
SEED = 17  # MLlib hash seed (fixed: a re-run proposes the same pairs)
BROADCAST_ROWS = 1_000_000  # common shingles sent whole to every task when there are no more than this
MAX_SHINGLE_DOCS = 100  # shingles in more articles than this (templates, boilerplate) propose no candidates

SIG_SCHEMA = "id string, tk double, key string, n long, sig binary, shingles array<string>"
PAIR_SCHEMA = "a string, b string, jac double, cont double"


def _signatures(options: DedupeOptions) -> PandasBatches:
    """mapInPandas: (id, tk, body) -> each body's word hash, shingle count, MinHash and shingles, as dedupe makes them."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        for pdf in batches:
            out = []
            for art_id, tk, body in zip(pdf["id"], pdf["tk"], pdf["body"], strict=True):
                text = (body or "").strip()
                if not text:
                    continue
                found = shingles(text, options.shingle_words, options.min_paragraph_words)
                sig = kept = None
                if len(found) >= options.min_shingles:
                    kept = sorted(found)
                    sig = signature(kept).astype(np.uint32).tobytes()
                out.append({"id": art_id, "tk": tk, "key": body_key(text), "n": len(found), "sig": sig,
                            "shingles": kept})
            yield pd.DataFrame(out, columns=["id", "tk", "key", "n", "sig", "shingles"])

    return run


def _verify(options: DedupeOptions) -> PandasBatches:
    """mapInPandas: proposed pairs -> the pairs the embedded index would accept, with Jaccard and containment."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        for pdf in batches:
            out = []
            for a, b, sa, sb, na, nb in zip(pdf["a"], pdf["b"], pdf["sa"], pdf["sb"], pdf["na"], pdf["nb"], strict=True):
                jac, cont = overlap(np.frombuffer(sa, dtype=np.uint32), na, np.frombuffer(sb, dtype=np.uint32), nb)
                if options.is_copy(jac, cont):
                    out.append({"a": a, "b": b, "jac": jac, "cont": cont})
            yield pd.DataFrame(out, columns=["a", "b", "jac", "cont"])

    return run


def _earlier(a: Any, b: Any) -> Any:
    """a arrived before b (time, then id)."""
    return (a["tk"] < b["tk"]) | ((a["tk"] == b["tk"]) & (a["id"] < b["id"]))


def find_duplicates(articles: Any, options: DedupeOptions | None = None,
                    max_shingle_docs: int = MAX_SHINGLE_DOCS) -> Any:
    """The duplicates table: article, duplicate_of (first-seen original), similarity, containment, edits.

    Shingles found in more than `max_shingle_docs` articles are left out of the LSH vectors (not out of
    the signatures that decide): a template phrase in every tenth article would otherwise be the
    minimum hash of many unrelated articles and make the candidate pairs grow with the square of the
    corpus. Copies share their rarer shingles; identical bodies are matched by their hash anyway.
    """
    from pyspark.ml.feature import HashingTF, MinHashLSH
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    options = options or DedupeOptions()
    spark = articles.sparkSession
    sigs = articles.select("id", "tk", "body").mapInPandas(_signatures(options), SIG_SCHEMA).localCheckpoint()

    # identical bodies (any length): each later one is a copy of the first with the same words
    first = Window.partitionBy("key").orderBy("tk", "id")
    exact = (sigs.withColumn("a", F.first("id").over(first)).where(F.col("a") != F.col("id"))
             .select("a", F.col("id").alias("b"), F.lit(1.0).alias("jac"), F.lit(1.0).alias("cont")))

    # near-duplicates: MLlib MinHashLSH proposes, the datasketch signatures decide
    hashing = HashingTF(inputCol="shingles", outputCol="vec", numFeatures=FEATURES, binary=True)
    words = sigs.where(F.col("sig").isNotNull()).select("id", F.explode("shingles").alias("s"))
    common = words.groupBy("s").count().where(F.col("count") > max_shingle_docs).select("s").localCheckpoint()
    rare = (words.join(F.broadcast(common) if common.count() <= BROADCAST_ROWS else common, "s", "left_anti")
            .groupBy("id").agg(F.collect_list("s").alias("shingles")))
    long = hashing.transform(sigs.where(F.col("sig").isNotNull()).drop("shingles").join(rare, "id")).drop("shingles")
    model = MinHashLSH(inputCol="vec", outputCol="hashes", numHashTables=HASH_TABLES, seed=SEED).fit(long)
    limit = min(1.0, 1.0 - options.lsh_threshold + JOIN_SLACK)
    joined = model.approxSimilarityJoin(long, long, limit, distCol="distance")
    pairs = (joined.where(_earlier(F.col("datasetA"), F.col("datasetB")))
             .select(F.col("datasetA.id").alias("a"), F.col("datasetB.id").alias("b"),
                     F.col("datasetA.sig").alias("sa"), F.col("datasetB.sig").alias("sb"),
                     F.col("datasetA.n").alias("na"), F.col("datasetB.n").alias("nb")))
    near = pairs.mapInPandas(_verify(options), PAIR_SCHEMA)

    # each copy's best earlier match, ranked as the embedded index ranks it
    best = Window.partitionBy("b").orderBy(F.desc(F.greatest("jac", "cont")), F.desc("jac"), F.desc("a"))
    parent = (exact.unionByName(near).withColumn("_r", F.row_number().over(best)).where("_r = 1").drop("_r")
              .localCheckpoint())
    roots = _roots(spark, parent.select("b", "a"))
    dups = parent.join(roots, "b").select(F.col("b").alias("article"), F.col("root").alias("duplicate_of"),
                                          F.round("jac", 4).alias("similarity"), F.round("cont", 4).alias("containment"))
    return _with_edits(dups, articles, options)


def _roots(spark: Any, parent: Any) -> Any:
    """(b, root): follow each copy's pointer to an article that is not itself a copy (pointer jumping)."""
    from pyspark.sql import functions as F

    cur = parent.select("b", F.col("a").alias("root")).localCheckpoint()
    for _ in range(MAX_HOPS):
        step = (cur.alias("c").join(cur.alias("p"), F.col("c.root") == F.col("p.b"), "left")
                .select(F.col("c.b").alias("b"), F.coalesce(F.col("p.root"), F.col("c.root")).alias("root"),
                        F.col("p.b").isNotNull().alias("moved"))
                .localCheckpoint())
        if not step.where("moved").limit(1).count():
            return step.drop("moved")
        cur = step.drop("moved")
    return cur


def _with_edits(dups: Any, articles: Any, options: DedupeOptions) -> Any:
    """Add each copy's edits (headline, paragraphs added, removed, changed, re-ordered) against its original."""
    from pyspark.sql import functions as F

    texts = articles.select("id", "title", "body")
    both = (dups.join(texts.select(F.col("id").alias("article"), F.col("title").alias("ct"), F.col("body").alias("cb")),
                      "article")
            .join(texts.select(F.col("id").alias("duplicate_of"), F.col("title").alias("ot"),
                               F.col("body").alias("ob")), "duplicate_of"))
    same = options.paragraph_match

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import json

        for pdf in batches:
            pdf["edits"] = [json.dumps(describe_edits(ot or "", (ob or "").strip(), ct or "", cb or "", same).to_dict(),
                                       ensure_ascii=False)
                            for ot, ob, ct, cb in zip(pdf["ot"], pdf["ob"], pdf["ct"], pdf["cb"], strict=True)]
            yield pdf[["article", "duplicate_of", "similarity", "containment", "edits"]]

    schema = "article string, duplicate_of string, similarity double, containment double, edits string"
    return both.mapInPandas(run, schema)
