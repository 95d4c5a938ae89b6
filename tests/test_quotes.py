from storydiff.analyze import analyze_article
from storydiff.model import Article


def _quotes(text: str):
    return [q for s in analyze_article(Article(id="a", body=text)) for q in s.quotes]


def test_speaker_after_quote() -> None:
    q = _quotes('"We will rebuild the bridge within a year," Mayor Anna Holt said.')
    assert q[0].text.startswith("We will rebuild") and q[0].speaker == "Mayor Anna Holt"


def test_passive_and_relative_clause_speakers() -> None:
    q = _quotes("Mr Wang was also said to have been “extremely concerned about the harm to civilians”.")
    assert q[0].speaker == "Mr Wang"
    q = _quotes("A readout, that cites Mr Berg, said: “Both sides want talks to continue next week.”")
    assert "readout" in q[0].speaker


def test_pronoun_speaker_resolves_to_last_person() -> None:
    q = _quotes('The engineer, Petra Valenko, inspected the cable on Monday. "It snapped under the load," she said.')
    assert q[0].speaker == "Petra Valenko"


def test_single_scare_quote_ignored() -> None:
    assert _quotes("Officials called it a “conflict” rather than a war.") == []
