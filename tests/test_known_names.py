"""Names other reports know, found in a report no name model reads."""

from __future__ import annotations

from storydiff.model import Mention, Sentence
from storydiff.resolve.known_names import add_known_names


def _sent(article: str, text: str, *mentions: tuple[str, str]) -> Sentence:
    ms = tuple(Mention(article, 0, t, label, text.index(t), text.index(t) + len(t)) for t, label in mentions)
    return Sentence(article, 0, text, mentions=ms)


def test_a_name_in_another_script_and_case_is_tagged_with_the_kind_the_other_report_found() -> None:
    en = [_sent("en", "Mayor Oksana Berezovska met Taras Hryhorenko in Kharkiv.",
                ("Oksana Berezovska", "PERSON"), ("Taras Hryhorenko", "PERSON"), ("Kharkiv", "GPE"))]
    ru = [_sent("ru", "Мэр встретилась с Тарасом Григоренко, сообщила Березовская.")]
    _, tagged = add_known_names([en, ru], [False, True])
    found = {(m.text, m.label) for m in tagged[0].mentions}
    assert ("Березовская", "PERSON") in found
    assert any(text.startswith("Тарасом") and label == "PERSON" for text, label in found)


def test_common_words_are_not_taken_for_known_names() -> None:
    en = [_sent("en", "The Ministry of Defence said the Air Force Base was hit.",
                ("Ministry of Defence", "ORG"), ("Air Force Base", "FAC"))]
    de = [_sent("de", "Das Ministerium sagte, die Basis sei getroffen worden.")]
    _, tagged = add_known_names([en, de], [False, True])
    assert tagged[0].mentions == ()


def test_a_case_suffix_after_an_apostrophe_is_not_part_of_the_name() -> None:
    en = [_sent("en", "Talks were held in Velmora on Friday.", ("Velmora", "GPE"))]
    tr = [_sent("tr", "Görüşmeler Cuma günü Velmora’da yapıldı.")]
    _, tagged = add_known_names([en, tr], [False, True])
    assert [(m.text, m.label) for m in tagged[0].mentions] == [("Velmora", "GPE")]
