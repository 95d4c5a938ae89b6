from datetime import date

from storydiff.analyze.dates import find_dates, parse_published, resolve

TUE = date(2022, 3, 1)


def test_relative_weekdays_resolve_against_publication() -> None:
    assert resolve("last Thursday", TUE) == ("2022-02-24", True)
    assert resolve("on Tuesday", TUE) == ("2022-03-01", True)  # same day in news usage
    assert resolve("yesterday", TUE) == ("2022-02-28", True)
    assert resolve("next Friday", TUE) == ("2022-03-04", True)


def test_dates_without_year_take_the_nearest_year() -> None:
    assert resolve("February 24th", TUE)[0] == "2022-02-24"
    assert resolve("December 30", date(2022, 1, 2))[0] == "2021-12-30"
    assert resolve("24 February 2021", TUE)[0] == "2021-02-24"


def test_unknown_without_publication_date() -> None:
    assert resolve("last Thursday", None) == (None, True)
    assert resolve("February 24", None) == (None, False)


def test_find_dates_in_sentence() -> None:
    refs = find_dates("The call was the first since Russia's attack last Thursday.", TUE)
    assert [(r.text, r.resolved) for r in refs] == [("last Thursday", "2022-02-24")]


def test_parse_published_forms() -> None:
    assert parse_published("2022-03-01T10:00:00Z") == TUE
    assert parse_published("1 March 2022") == TUE
    assert parse_published("") is None


def test_reference_dates_are_marked_as_anchors() -> None:
    refs = find_dates("Claims hit their lowest level since March 14, 2020 on Thursday.", date(2021, 10, 15))
    by_text = {r.text: r for r in refs}
    assert by_text["March 14, 2020"].anchor and not by_text["on Thursday"].anchor


# --- other languages: hand-made sentences, resolved against a Friday publication date -------------------

FRI = date(2031, 5, 9)  # a Friday


def _found(sentence: str, language: str, published: date | None = FRI) -> list[tuple[str, str | None]]:
    return [(r.text, r.resolved) for r in find_dates(sentence, published, language)]


def test_relative_days_in_other_languages() -> None:
    assert _found("Ayer llovió en la costa.", "es") == [("Ayer", "2031-05-08")]
    assert _found("Вчера открыли мост.", "ru") == [("Вчера", "2031-05-08")]
    assert _found("Le pont a été ouvert hier.", "fr") == [("hier", "2031-05-08")]
    assert _found("A ponte foi aberta ontem.", "pt") == [("ontem", "2031-05-08")]
    assert _found("Die Brücke wurde gestern eröffnet, heute ist sie voll.", "de") == [
        ("gestern", "2031-05-08"), ("heute", "2031-05-09")]
    assert _found("Köprü dün açıldı.", "tr") == [("dün", "2031-05-08")]
    assert _found("昨天桥梁开通了。", "zh") == [("昨天", "2031-05-08")]
    assert _found("어제 다리가 개통됐다.", "ko") == [("어제", "2031-05-08")]
    assert all(r.relative for r in find_dates("Ayer llovió.", FRI, "es"))


def test_weekdays_in_other_languages_are_the_most_recent_one() -> None:
    assert _found("El puente se abrió el miércoles.", "es") == [("miércoles", "2031-05-07")]
    assert _found("Die Brücke wurde am Dienstag eröffnet.", "de") == [("Dienstag", "2031-05-06")]
    assert _found("Мост открыли в среду.", "ru") == [("среду", "2031-05-07")]
    assert _found("Η γέφυρα άνοιξε την Τετάρτη.", "el") == [("Τετάρτη", "2031-05-07")]
    assert _found("افتتح الجسر يوم الأربعاء.", "ar") == [("الأربعاء", "2031-05-07")]
    assert _found("El puente se abrió el miércoles.", "es", None) == [("miércoles", None)]


def test_next_and_last_beside_a_weekday() -> None:
    assert _found("Se votará el próximo miércoles.", "es") == [("próximo miércoles", "2031-05-14")]
    assert _found("Se votó el viernes pasado.", "es") == [("viernes pasado", "2031-05-02")]
    assert _found("Abgestimmt wird am nächsten Dienstag.", "de") == [("nächsten Dienstag", "2031-05-13")]
    assert _found("Le vote a eu lieu mardi dernier.", "fr") == [("mardi dernier", "2031-05-06")]
    assert _found("El martes pasaron tres trenes.", "es") == [("martes", "2031-05-06")]  # a verb, not "last"


def test_absolute_dates_in_other_languages() -> None:
    assert _found("Am 1. August 2029 begann der Bau.", "de") == [("1. August 2029", "2029-08-01")]
    assert _found("Las obras empezaron el 1 de agosto.", "es") == [("1 de agosto", "2031-08-01")]  # nearest year
    assert _found("Les travaux ont commencé le 1er août.", "fr") == [("1er août", "2031-08-01")]
    assert _found("Работы начались 3 мая 2031 года.", "ru") == [("3 мая 2031", "2031-05-03")]
    assert _found("工程于2029年8月1日开始，8月3日结束。", "zh") == [("2029年8月1日", "2029-08-01"), ("8月3日", "2031-08-03")]
    assert _found("공사는 2029년 8월 1일 시작됐다.", "ko") == [("2029년 8월 1일", "2029-08-01")]
    assert _found("Las obras empezaron el 31 de abril.", "es") == [("31 de abril", None)]  # no such day
    assert _found("Las obras empezaron el 1 de agosto.", "es", None) == [("1 de agosto", None)]  # no year known


def test_morning_is_not_tomorrow() -> None:
    assert _found("Llegó el martes por la mañana.", "es") == [("martes", "2031-05-06")]
    assert _found("Heute Morgen kam der Zug.", "de") == [("Heute", "2031-05-09")]
    assert _found("Morgen kommt der Zug.", "de") == [("Morgen", "2031-05-10")]


def test_language_codes_and_english_inside_other_languages() -> None:
    assert _found("A ponte foi aberta ontem.", "pt-BR") == [("ontem", "2031-05-08")]
    assert _found("El informe del 2031-05-01 cita el acuerdo.", "es") == [("2031-05-01", "2031-05-01")]
    assert _found("The bridge opened last Thursday.", "xx") == [("last Thursday", "2031-05-08")]  # unknown: English
    assert _found("El miércoles.", "") == []  # no language: English only, as before
    assert _found("कल बुधवार था।", "hi") == [("बुधवार", "2031-05-07")]  # one word for yesterday and tomorrow: skipped


def test_english_is_unchanged_by_the_language_argument() -> None:
    sentence = "Claims hit their lowest level since March 14, 2020 on Thursday."
    assert find_dates(sentence, date(2021, 10, 15), "en") == find_dates(sentence, date(2021, 10, 15))
