from tests._fixtures import GAZETTE, HERALD

from storydiff.analyze import analyze_article
from storydiff.analyze.embed import get_embedder
from storydiff.comparison.align import align, clauses


def test_restated_claims_align_and_extras_do_not() -> None:
    sa, sb = analyze_article(HERALD), analyze_article(GAZETTE)
    pairs = align([sa, sb], get_embedder("auto"))
    text = {s.ref: s.text for s in list(sa) + list(sb)}
    linked = {(text[p.a][:25], text[p.b][:25]) for p in pairs}
    assert ("The bridge carried about ", "Around 12,000 vehicles cr") in linked
    assert not any("bakers" in text[p.a] or "governor" in text[p.b] for p in pairs)


def test_clauses_split_at_quotes_and_commas() -> None:
    parts = clauses('He called Wang Yi to ask China to “use its ties with Moscow to stop the war now”, officials said.')
    assert "use its ties with Moscow to stop the war now" in parts


def test_groups_do_not_chain_many_sentences_of_one_article() -> None:
    from storydiff.comparison.align import MAX_PER_ARTICLE, Pair, group_pairs

    pairs = [Pair(("a", i), ("b", 0), 1.0 - i / 10, 1.3) for i in range(4)] + [Pair(("a", 3), ("c", 0), 0.9, 1.3)]
    groups = group_pairs(pairs)
    for g in groups:
        refs = {r for p in g for r in (p.a, p.b)}
        assert sum(1 for art, _ in refs if art == "a") <= MAX_PER_ARTICLE
    assert any({("a", 0), ("b", 0)} <= {r for p in g for r in (p.a, p.b)} for g in groups)


def test_groups_survive_a_merge_before_a_new_group() -> None:
    """A merge that keeps the later group must not let a new group reuse a live group's id (it lost pairs)."""
    from storydiff.comparison.align import Pair, group_pairs

    pairs = [Pair(("a", 0), ("b", 0), 0.99, 1.3),  # group 0
             Pair(("c", 0), ("d", 0), 0.98, 1.3),  # group 1
             Pair(("e", 0), ("f", 0), 0.97, 1.3),  # group 2
             Pair(("c", 0), ("a", 0), 0.96, 1.3),  # merges group 0 into group 1
             Pair(("g", 0), ("h", 0), 0.95, 1.3),  # a new group: must not take id 2
             Pair(("e", 0), ("g", 0), 0.94, 1.3)]  # joins groups 2 and the new one
    groups = group_pairs(pairs)
    assert sorted(len(g) for g in groups) == [3, 3]
    key = lambda p: (p.a, p.b)  # noqa: E731
    assert sorted((p for g in groups for p in g), key=key) == sorted(pairs, key=key)
