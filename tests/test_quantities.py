from storydiff.analyze.quantities import find_quantities


def test_numbers_with_their_units() -> None:
    qs = find_quantities("The attack killed at least 136 civilians and injured 13 children, with $2.5 million lost.")
    got = {(q.value, q.unit) for q in qs}
    assert (136.0, "civilians") in got and (13.0, "children") in got and (2.5e6, "USD") in got


def test_words_percent_and_dates_skipped() -> None:
    got = {(q.value, q.unit) for q in find_quantities("Nine people were hurt on February 24 and turnout rose 12% in 2021.")}
    assert (9.0, "people") in got and (12.0, "%") in got
    assert all(v not in (24.0, 2021.0) for v, _ in got)


def test_number_words_of_other_languages_come_from_num2words() -> None:
    from storydiff.analyze.quantities import number_words

    assert number_words("de")["sieben"] == 7 and number_words("es")["dos"] == 2 and number_words("ru")["семь"] == 7
    assert "ein" not in number_words("de") and "un" not in number_words("fr")  # one is also the article
    assert number_words("xx-unknown") == {}
