"""Language of a report: read from its text, the page's tag only a hint, the body's language for mixed texts."""

from __future__ import annotations

import pytest

from storydiff.analyze.language import article_language, detect_language, normalise_tag
from storydiff.ingest.readers import article_from_record

SPANISH = ("El ayuntamiento de la ciudad aprobó el miércoles un nuevo plan de transporte que reducirá "
           "el tráfico en el centro histórico durante los próximos cinco años, según informó el alcalde.")
RUSSIAN = ("Городской совет в среду утвердил новый план развития транспорта, который сократит движение "
           "в историческом центре в течение следующих пяти лет, сообщил мэр.")
ROMANIAN = ("Consiliul local a aprobat miercuri un nou plan de transport care va reduce traficul din centrul "
            "istoric al orașului în următorii cinci ani, a declarat primarul într-o conferință de presă.")
TWEET = "Great news for our city today, thanks to everyone who worked on this plan!"


@pytest.mark.parametrize(("text", "code"), [(SPANISH, "es"), (RUSSIAN, "ru"), (ROMANIAN, "ro")])
def test_language_is_read_from_the_text(text: str, code: str) -> None:
    guess = detect_language(text)
    assert guess.code == code and guess.basis == "text"


def test_an_english_tweet_inside_a_romanian_report_keeps_the_body_language() -> None:
    body = "\n\n".join([ROMANIAN, TWEET, ROMANIAN.replace("miercuri", "joi")])
    assert article_language("Plan nou de transport", body) == "ro"


def test_the_page_tag_is_only_a_hint() -> None:
    assert detect_language(SPANISH, hint="en-GB").code == "es"  # the text wins when it is clear
    assert detect_language("OK", hint="pt-BR") == detect_language("OK", hint="pt_BR")
    assert detect_language("OK", hint="pt-BR").code == "pt"  # too little text: the tag settles it
    assert detect_language("OK").code == ""


@pytest.mark.parametrize(("tag", "code"), [("en-GB", "en"), ("PT_br", "pt"), ("", ""), ("<script>", ""), ("x" * 40, "")])
def test_page_tags_are_normalised(tag: str, code: str) -> None:
    assert normalise_tag(tag) == code


def test_a_record_gets_the_language_of_its_text_whatever_its_tag() -> None:
    art = article_from_record({"title": "Plan", "text": RUSSIAN, "language": "en"}, source="r.json")
    assert art.language == "ru"
    assert article_from_record({"title": "Plan", "text": SPANISH}, source="s.json").language == "es"


def test_a_short_chinese_or_korean_report_gets_its_language() -> None:
    assert detect_language("市议会周三批准了新的交通计划，将减少历史中心的车辆。").code == "zh"
    assert detect_language("시의회는 수요일 새로운 교통 계획을 승인했다.").code == "ko"


def test_an_unsure_guess_is_unknown_not_wrong() -> None:
    guess = detect_language("Velmora harbour reopens as Trask Ferries resumes routes")
    assert guess.code in ("en", "") and (guess.code == "" or guess.confidence >= 0.6)
    assert detect_language("Velmora harbour reopens as Trask Ferries resumes routes", hint="en").code == "en"


def test_the_identifier_works_with_or_without_its_set_up_copy(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storydiff.analyze import language

    monkeypatch.setattr(language, "_STATE", {})
    monkeypatch.setattr(language, "identifier_cache_path", lambda: tmp_path / "missing.pickle")
    assert detect_language(SPANISH).code == "es"  # built from the shipped model
    monkeypatch.setattr(language, "_STATE", {})
    monkeypatch.setattr(language, "identifier_cache_path", lambda: tmp_path / "lid.pickle")
    assert language.build_identifier_cache().exists()
    assert detect_language(RUSSIAN).code == "ru"


def test_a_paragraph_in_another_script_does_not_outvote_a_longer_body() -> None:
    english = ("The council approved the new transport plan on Wednesday, the mayor said at a press "
               "conference, adding that traffic in the old town would fall over the next five years.")
    body = "\n\n".join([english, english.replace("Wednesday", "Thursday"), RUSSIAN])
    assert article_language("Transport plan approved", body) == "en"
