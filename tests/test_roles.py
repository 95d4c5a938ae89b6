from storydiff.model import Entity, EntityMention, Mention, Sentence
from storydiff.resolve.roles import attach_roles


def _s(article: str, index: int, text: str, *mentions: tuple[str, str]) -> Sentence:
    ms = tuple(Mention(article, index, t, label, text.find(t), text.find(t) + len(t)) for t, label in mentions)
    return Sentence(article, index, text, mentions=ms)


def test_role_joins_the_person_an_aligned_report_names() -> None:
    a = _s("a", 0, "Mr Holm said he was worried about the dam.", ("Mr Holm", "PERSON"))
    b = _s("b", 0, "The governor said he was worried about the dam.", ("The governor", "ROLE"))
    c = _s("b", 1, "Later the Governor left with Ms Berg.", ("the Governor", "ROLE"), ("Ms Berg", "PERSON"))
    ents = [Entity("e1", "Karl Holm", "PERSON", (EntityMention("a", "Mr Holm"),)),
            Entity("e2", "Ms Berg", "PERSON", (EntityMention("b", "Ms Berg"),))]
    out = attach_roles(ents, [a, b, c], [(a.ref, b.ref)])
    holm = next(e for e in out if e.id == "e1")
    assert {m.text for m in holm.mentions} == {"Mr Holm", "The governor", "the Governor"}
    assert {m.text for m in next(e for e in out if e.id == "e2").mentions} == {"Ms Berg"}


def test_role_without_aligned_evidence_stays_unattached() -> None:
    b = _s("b", 0, "The king spoke.", ("The king", "ROLE"))
    ents = [Entity("e1", "Wang Yi", "PERSON", (EntityMention("a", "Wang Yi"),))]
    assert attach_roles(ents, [b], []) == ents
