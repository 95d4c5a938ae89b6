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
