"""Boilerplate detection by evidence: reader appeals, comment prompts, bios, credits — and no false positives."""

from __future__ import annotations

import json

from storydiff.ingest.boilerplate import judge, split_glued, strip_boilerplate, unquoted
from storydiff.ingest.extract import extract_text

NEWS = [
    "The harbour bridge in Port Alden reopened on Thursday after eight months of repairs, the council said.",
    "Engineers replaced 240 tonnes of corroded beams and added a cycle lane on the eastern side.",
    "Traffic had been diverted through the old quarter since September, adding 40 minutes to journeys.",
    "Local businesses said trade had fallen by a third during the closure and welcomed the reopening.",
]


def test_glued_sentences_are_split_outside_quotes() -> None:
    assert split_glued("It matters to us.Rain fell on Tuesday.") == "It matters to us.\nRain fell on Tuesday."
    assert split_glued("The U.S.Army said so.") == "The U.S.Army said so."
    assert "\n" not in split_glued("He said: “we are ready.Then we go,” he added.")


def test_unquoted_removes_quoted_speech_and_open_quotes() -> None:
    assert "we" not in unquoted("The minister said “we will support you” on Monday.").split()
    assert "our" not in unquoted("“Our people are strong. We will not give up").split()


def test_appeal_glued_to_first_sentence_is_cut_off() -> None:
    paras = [
        "Please support our independent journalism today.Heavy rain flooded the valley on Monday, officials said."
    ]
    kept, dropped = strip_boilerplate(paras + NEWS)
    assert kept[0] == "Heavy rain flooded the valley on Monday, officials said."
    assert [b.reason for b in dropped] == ["reader appeal"]


def test_quoted_minister_addressing_people_is_kept() -> None:
    paras = [
        NEWS[0],
        "“We will support you for as long as it takes,” the minister told the crowd in the square.",
        "“Our farmers need your help, and we are asking every region to send what it can,” she said.",
        "The minister said: “You have our word that we will rebuild every home.”",
        "‘We don’t forget our friends, and your donations saved lives,’ reads the mayor’s letter to donors.",
        *NEWS[1:],
    ]
    kept, dropped = strip_boilerplate(paras)
    assert kept == paras
    assert dropped == []


def test_unquoted_attributed_address_is_kept() -> None:
    paras = [NEWS[0], "We are not going anywhere, he told reporters, and our workers will stay.", *NEWS[1:]]
    kept, _ = strip_boilerplate(paras)
    assert kept == paras


def test_news_about_donations_and_newsletters_is_kept() -> None:
    paras = [
        NEWS[0],
        "The charity said donations had doubled since the flood and that its newsletter now reaches 9,000 homes.",
        "Subscriptions to the regional paper fell by 12 per cent last year, according to the audit office.",
        *NEWS[1:],
    ]
    kept, dropped = strip_boilerplate(paras)
    assert kept == paras, dropped


def test_edge_runs_of_appeals_comments_and_credits_are_dropped() -> None:
    paras = [
        "Independent journalism needs you",
        "We rely on readers like you. Your donation keeps our newsroom open and our reporting free.",
        *NEWS,
        "Reporting by Ana Ruiz; editing by Tom Hale",
        "Join the conversation and read replies from other readers",
        "Comments",
    ]
    kept, dropped = strip_boilerplate(paras)
    assert kept == NEWS
    assert {b.reason for b in dropped} >= {"reader appeal", "credit line", "comment prompt"}


def test_newsletter_box_in_the_middle_is_dropped() -> None:
    paras = [*NEWS[:2], "Sign up to our newsletter and get the day's top stories in your inbox", *NEWS[2:]]
    kept, dropped = strip_boilerplate(paras)
    assert kept == NEWS and len(dropped) == 1


def test_author_bio_and_byline_at_the_end() -> None:
    text = (
        "Bridge reopens\n\n"
        + "\n\n".join(NEWS)
        + ("\n\nLena Ortiz\n\nLena Ortiz is a Lisbon-based reporter. She covers transport and housing.")
    )
    art = extract_text(text, source="t.txt")
    assert art.author == "Lena Ortiz"
    assert art.paragraphs == NEWS
    assert any(b.reason == "author bio" for b in art.dropped)


def test_heading_in_body_is_kept() -> None:
    paras = [*NEWS[:2], "What happens next", *NEWS[2:]]
    kept, _ = strip_boilerplate(paras)
    assert kept == paras


def test_judge_reasons() -> None:
    assert judge("Join our commenting forum").reason == "comment prompt"  # type: ignore[union-attr]
    assert judge("Additional reporting by agencies").reason == "credit line"  # type: ignore[union-attr]
    assert judge(NEWS[0]) is None


def _expected(corpus_dir):  # type: ignore[no-untyped-def]
    return json.loads((corpus_dir / "expected.json").read_text(encoding="utf-8"))


def test_independent_reference_page(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    exp = _expected(corpus_dir)
    art = extract_text((corpus_dir / "independent.txt").read_text(encoding="utf-8"), source="independent.txt")
    assert art.title == exp["titles"]["independent"]
    for junk in exp["boilerplate"]["independent"]:
        assert junk not in art.body, junk
    for keep in exp["body_must_keep"]["independent"]:
        assert keep in art.body, keep
    assert any(p.startswith("Ukraine has asked China to use its ties") for p in art.paragraphs)


def test_retranslated_reference_page(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    exp = _expected(corpus_dir)
    art = extract_text(
        (corpus_dir / "retranslated.txt").read_text(encoding="utf-8"), source="retranslated.txt"
    )
    assert art.title == exp["titles"]["retranslated"]
    for junk in exp["boilerplate"]["retranslated"]:
        assert junk not in art.body, junk
    for keep in exp["body_must_keep"]["retranslated"]:
        assert keep in art.body, keep
    assert art.author == "Frank Fang"


def test_untrusted_text_is_handled_quickly() -> None:
    import random
    import time

    start = time.perf_counter()
    assert split_glued("ab.Cd " * 100 + "“ab.Cd" * 50000).count("\n") == 100
    rng = random.Random(7)
    vocab = 'the we you our support donate Join said “ ” " . , Frank Fang is a journalist Comments'.split()
    paras = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    kept, dropped = strip_boilerplate(paras + ["", "A" * 200000, "“" + "word " * 20000])
    assert len(kept) + len(dropped) >= 3000
    assert time.perf_counter() - start < 10


def test_country_us_and_truncated_lines_are_not_evidence() -> None:
    paras = [
        "The US is to donate 500 million more vaccine doses to poorer nations from next year.",
        "The president did not take questions from US reporters during the meeting on Tuesday.",
        "The Harbour Security...",
    ]
    art = extract_text("\n\n".join(paras), source="r", title="Doses pledged")
    assert art.paragraphs == paras
    assert art.author == ""
