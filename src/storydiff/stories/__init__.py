"""storydiff stories stage: near-duplicate copies (MinHash LSH) and incremental story clustering."""

from storydiff.stories.cluster import Clustering, ClusterOptions, Placed, StoryClusterer, cluster_articles
from storydiff.stories.dedupe import DedupeIndex, DedupeOptions, Duplicate, Edits, describe_edits
from storydiff.stories.evaluate import ClusterScores, adjusted_rand, bcubed, score

__all__ = [
    "ClusterOptions",
    "ClusterScores",
    "Clustering",
    "DedupeIndex",
    "DedupeOptions",
    "Duplicate",
    "Edits",
    "Placed",
    "StoryClusterer",
    "adjusted_rand",
    "bcubed",
    "cluster_articles",
    "describe_edits",
    "score",
]
