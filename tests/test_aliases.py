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


def test_one_person_across_scripts_and_transliterations() -> None:
    groups = _groups([
        _m("en", "Taras Shevchenko"), _m("ru", "Тарас Шевченко", "NAME"), _m("fr", "Chevtchenko", "NAME"),
        _m("de", "Schewtschenko", "NAME"), _m("en", "Nadia Brodkovich"), _m("it", "Nadia Brodckovic"),
        _m("ru", "Шевченко", "NAME"),
    ])
    assert next(g for g in groups if "Taras Shevchenko" in g) == {
        "Taras Shevchenko", "Тарас Шевченко", "Chevtchenko", "Schewtschenko", "Шевченко"}
    assert next(g for g in groups if "Nadia Brodkovich" in g) == {"Nadia Brodkovich", "Nadia Brodckovic"}


def test_case_endings_join_but_short_names_stay_apart() -> None:
    assert garble_evidence("Карпова", "Karpov") is not None and garble_evidence("Brandtom", "Brandt") == "the same name with a case ending"
    assert garble_evidence("Marca", "Marc", strict=True) is None
    assert garble_evidence("Abdden", "Biden") is None


def test_untyped_words_stay_apart_from_people_without_evidence() -> None:
    entities = resolve_entities([_m("en", "Anna Keller"), _m("es", "Ayuntamiento", "NAME"), _m("es", "Keller", "NAME")])
    by_text = {m.text: e for e in entities for m in e.mentions}
    assert by_text["Keller"].label == "PERSON" and by_text["Keller"] is by_text["Anna Keller"]
    assert by_text["Ayuntamiento"].label == "NAME"


def test_names_with_no_latin_letters_never_crash() -> None:
    odd = [_m("a", "ʼʼ"), _m("a", "Ⅻ", "ORG"), _m("b", "尹锡悦"), _m("b", "윤석열", "NAME"), _m("c", "א ב", "ORG")]
    assert len(resolve_entities(odd)) >= 1


def test_a_korean_name_in_hangul_and_two_romanisations_is_one_person() -> None:
    groups = _groups([_m("a", "Park Jin-young"), _m("b", "Bak Jin-yeong"), _m("c", "박진영", "NAME"),
                      _m("a", "Choi Min-su")])
    assert next(g for g in groups if "Park Jin-young" in g) == {"Park Jin-young", "Bak Jin-yeong", "박진영"}
    assert {"Choi Min-su"} in groups


def test_a_case_ending_needs_the_whole_stem() -> None:
    assert garble_evidence("Brandtom", "Brandt") == "the same name with a case ending"
    assert garble_evidence("Tuleymana", "Teloma") is None  # same consonants, another name


def test_a_word_ner_did_not_call_a_person_needs_more_than_a_close_spelling() -> None:
    groups = _groups([_m("a", "Martin Lindqvist"), _m("b", "Marine", "ORG"), _m("b", "Lindkvist", "ORG")])
    assert {"Marine"} in groups  # close spelling alone does not make a person of it
    assert {"Martin Lindqvist", "Lindkvist"} in groups  # the same consonants do
