"""Name differences: one entity spelled two ways in aligned sentences, conventions and short forms left alone."""

from __future__ import annotations

from storydiff.comparison.names import name_differences
from storydiff.model import Entity, EntityMention, Mention, Sentence


def _sent(article: str, text: str, name: str, label: str = "PERSON") -> Sentence:
    start = text.index(name)
    return Sentence(article, 0, text, mentions=(Mention(article, 0, name, label, start, start + len(name)),))


def _entity(*forms: tuple[str, str]) -> dict[tuple[str, str], Entity]:
    e = Entity("e1", forms[0][1], "PERSON", tuple(EntityMention(a, t) for a, t in forms))
    return {(a, t): e for a, t in forms}


def test_one_person_spelled_two_ways_is_a_name_difference() -> None:
    a = _sent("a", "Anna Kowalczyk was released on Tuesday.", "Anna Kowalczyk")
    b = _sent("b", "Ana Kovalchik was released on Tuesday.", "Ana Kovalchik")
    diffs = name_differences(a, b, _entity(("a", "Anna Kowalczyk"), ("b", "Ana Kovalchik")))
    assert [d.type for d in diffs] == ["name"] and "'Anna Kowalczyk' (a) vs 'Ana Kovalchik' (b)" in diffs[0].summary


def test_short_forms_other_scripts_and_conventions_are_no_difference() -> None:
    full = _sent("a", "Wladimir Petrow spoke.", "Wladimir Petrow")
    for text, name in [("Petrow spoke.", "Petrow"), ("Владимир Петров spoke.", "Владимир Петров"),
                       ("Vladimir Petrov spoke.", "Vladimir Petrov")]:
        other = _sent("b", text, name)
        assert name_differences(full, other, _entity(("a", "Wladimir Petrow"), ("b", name))) == []


def test_different_entities_are_not_compared() -> None:
    a = _sent("a", "Anna Kowalczyk spoke.", "Anna Kowalczyk")
    b = _sent("b", "Maria Lopez spoke.", "Maria Lopez")
    entity_of = {**_entity(("a", "Anna Kowalczyk")), ("b", "Maria Lopez"): Entity("e2", "Maria Lopez", "PERSON")}
    assert name_differences(a, b, entity_of) == []
