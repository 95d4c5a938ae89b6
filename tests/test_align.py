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
