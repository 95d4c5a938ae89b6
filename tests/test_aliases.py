from storydiff.model import Mention
from storydiff.resolve.aliases import garble_evidence, resolve_entities, skeleton


def _m(article: str, text: str, label: str = "PERSON") -> Mention:
    return Mention(article, 0, text, label, 0, len(text))


def _groups(mentions: list[Mention]) -> list[set[str]]:
    return [{m.text for m in e.mentions} for e in resolve_entities(mentions)]


def test_transliteration_skeleton() -> None:
    assert skeleton("Kuleba") == skeleton("Kreva") == skeleton("Cleva") == skeleton("Kleba")
    assert skeleton("Wang") != skeleton("Liang")


def test_garbles_join_but_different_people_do_not() -> None:
    groups = _groups([
        _m("a", "Dmytro Kuleba"), _m("a", "Mr Kuleba"), _m("b", "Dmytro Kuleba"), _m("b", "Kreva"),
        _m("b", "Cleva"), _m("b", "Kleba", "ORG"), _m("a", "Volodymyr Zelensky"), _m("a", "Wang Yi"),
        _m("a", "Mr Wang"), _m("b", "Liang Jiangquan"), _m("b", "Liang"), _m("b", "Xi Jinping"),
    ])
    kuleba = next(g for g in groups if "Dmytro Kuleba" in g)
    assert kuleba == {"Dmytro Kuleba", "Mr Kuleba", "Kreva", "Cleva", "Kleba"}
    wang = next(g for g in groups if "Wang Yi" in g)
    assert wang == {"Wang Yi", "Mr Wang"}
    assert next(g for g in groups if "Liang" in g) == {"Liang", "Liang Jiangquan"}


def test_unrelated_names_are_not_garbles() -> None:
    assert garble_evidence("Putin", "Xi") is None
    assert garble_evidence("Johnson", "Jonsen") is not None
    assert garble_evidence("Kuleba", "Zelensky") is None


def test_places_with_different_labels_join() -> None:
    groups = _groups([_m("a", "Port Averin", "FAC"), _m("b", "Port Averin", "GPE")])
    assert groups == [{"Port Averin"}] and len(resolve_entities([_m("a", "Port Averin", "FAC"), _m("b", "Port Averin", "GPE")])[0].mentions) == 2
