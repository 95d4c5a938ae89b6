from storydiff.analyze.quantities import find_quantities


def test_numbers_with_their_units() -> None:
    qs = find_quantities("The attack killed at least 136 civilians and injured 13 children, with $2.5 million lost.")
    got = {(q.value, q.unit) for q in qs}
    assert (136.0, "civilians") in got and (13.0, "children") in got and (2.5e6, "USD") in got


def test_words_percent_and_dates_skipped() -> None:
    got = {(q.value, q.unit) for q in find_quantities("Nine people were hurt on February 24 and turnout rose 12% in 2021.")}
    assert (9.0, "people") in got and (12.0, "%") in got
    assert all(v not in (24.0, 2021.0) for v, _ in got)
