"""A synthetic news stream for the Spark tests and benchmark: stories told by several outlets, copies, look-alikes.

Each story is one fictional event (people, a place, an organisation, a number, a day). Several
outlets report it in their own words (different sentences drawn from the story's facts, in their
own order), some reports are reprinted by other outlets with the controlled edits of
`stories._synthetic.reprint`, and "confusable" stories reuse the people and place of an earlier
story a few days later with another event. Names are built from syllables so a million articles
still have distinct stories; most four-word shingles contain a story-specific word, as in real news.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storydiff.model import Article
from storydiff.stories._synthetic import EDITS, reprint

_SYL = ("ka", "lo", "mir", "ta", "ven", "dor", "sa", "bel", "ru", "nik", "os", "tal", "gro", "mea", "fen", "qua",
        "zor", "pel", "han", "wi", "tro", "ub", "cas", "lem", "ydr", "jol", "ba", "sei", "mon", "ar")
_ORG_KIND = ("Ministry of Water", "Transport Union", "Central Bank", "Harbour Authority", "Football Club",
             "Energy Board", "Supreme Court", "University", "Trade Council", "Farmers League")
_EVENTS = (("floods", "flooded", "homes"), ("strike", "walked out", "workers"), ("fire", "burned", "hectares"),
           ("merger", "merged", "jobs"), ("trial", "testified", "witnesses"), ("election", "voted", "ballots"),
           ("outbreak", "fell ill", "patients"), ("protest", "marched", "people"), ("launch", "launched", "satellites"),
           ("recall", "recalled", "vehicles"), ("drought", "dried up", "wells"), ("budget", "approved", "projects"))
_ROLES = ("minister", "mayor", "spokesperson", "chief executive", "judge", "police chief", "professor", "governor")
_SAYS = ("said", "told reporters", "stated", "confirmed", "insisted", "added", "explained", "warned")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OUTLETS = tuple(f"outlet{i:03d}" for i in range(120))
START = datetime(2031, 1, 1, tzinfo=UTC)


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


def _person(rng: random.Random) -> str:
    return f"{_name(rng, 2)} {_name(rng, 3)}"


@dataclass(frozen=True, slots=True)
class _Event:
    """The facts of one story; every outlet words them its own way."""

    people: tuple[str, str]
    place: str
    org: str
    kind: tuple[str, str, str]  # (event, verb, unit)
    num: int
    day: str
    roles: tuple[str, str]
    since: int
    review_days: int


def _event(rng: random.Random, people: tuple[str, str], place: str, org: str) -> _Event:
    return _Event(people, place, org, rng.choice(_EVENTS), rng.randrange(12, 9000), rng.choice(_DAYS),
                  tuple(rng.sample(_ROLES, 2)), rng.randrange(1950, 2030), rng.randrange(2, 30))  # type: ignore[arg-type]


def _sentences(ev: _Event, rng: random.Random) -> list[str]:
    """One outlet's sentences about the event: each fact in one of several wordings, with its own verbs."""
    a, b = ev.people
    event, verb, unit = ev.kind
    says = rng.choice(_SAYS)
    c = rng.choice
    return [
        c((f"At least {ev.num} {unit} in {ev.place} were affected by the {event} on {ev.day}, {ev.org} {says}.",
           f"The {event} hit {ev.num} {unit} across {ev.place}, according to {ev.org}.",
           f"{ev.org} counted {ev.num} {unit} {c(('hit', 'touched', 'caught up'))} by {ev.day}'s {event} in {ev.place}.")),
        c((f"{a}, the {ev.place} {ev.roles[0]}, {says} that {ev.num} {unit} {verb} before {ev.day} evening.",
           f"By {ev.day} night {ev.num} {unit} had {verb}, {ev.roles[0]} {a} told {c(('local radio', 'a briefing', 'us'))}.",
           f"{ev.roles[0].capitalize()} {a} put the number of {unit} that {verb} at {ev.num}.")),
        c((f"\"We will not leave {ev.place} {c(('alone', 'behind', 'waiting'))},\" {a} {says}.",
           f"{a} promised {ev.place} {c(('help', 'money', 'answers'))} {c(('soon', 'this week', 'quickly'))}.",
           f"\"{ev.place} {c(('will recover', 'deserves better', 'must be heard'))},\" {a} {says}.")),
        c((f"{b} of {ev.org} {c(('disputed', 'questioned', 'welcomed', 'rejected'))} the figure of {ev.num} {unit}.",
           f"{ev.org}'s {b} {c(('doubted', 'challenged', 'backed'))} that count.",
           f"Not everyone agreed: {b}, speaking for {ev.org}, {c(('called the figure too high', 'said more were hit'))}.")),
        c((f"{ev.org} {c(('plans', 'expects', 'promised'))} a review in {ev.place} within {ev.review_days} days.",
           f"A review of the {event} is due in {ev.review_days} days, {ev.org} {says}.",
           f"Within {ev.review_days} days {ev.org} will {c(('publish', 'present', 'deliver'))} its review.")),
        c((f"{b}, a {ev.roles[1]}, {c(('met', 'called', 'visited'))} {a} in {ev.place} on {ev.day}.",
           f"On {ev.day} {a} {c(('held talks', 'spoke', 'met'))} with {ev.roles[1]} {b}.",
           f"{ev.roles[1].capitalize()} {b} and {a} {c(('spoke by phone', 'met briefly', 'toured the area'))}.")),
        c((f"Residents of {ev.place} {c(('gathered', 'waited', 'queued'))} outside the {ev.org} offices on {ev.day}.",
           f"Crowds {c(('formed', 'grew', 'waited'))} in central {ev.place} as news of the {event} spread.",
           f"In {ev.place}, {c(('shops', 'schools', 'roads'))} {c(('closed', 'stayed shut', 'emptied'))} after the {event}.")),
        c((f"The {event} in {ev.place} is the {c(('worst', 'largest', 'first'))} since {ev.since}, {a} {says}.",
           f"{ev.place} has not seen {c(('such a', 'a comparable', 'a bigger'))} {event} since {ev.since}.",
           f"Records going back to {ev.since} show nothing {c(('like it', 'as severe', 'on this scale'))} in {ev.place}.")),
    ]


def _report(rng: random.Random, ev: _Event, art_id: str, outlet: str, when: datetime) -> Article:
    facts = _sentences(ev, rng)
    picked = rng.sample(facts, rng.randrange(4, len(facts) + 1))
    paras = [" ".join(picked[i : i + 2]) for i in range(0, len(picked), 2)]
    people, place, org = ev.people, ev.place, ev.org
    verb = rng.choice(("says", "warns", "confirms", "reports", "counts", "faces"))
    title = rng.choice((f"{people[0]} {verb} {place} toll as {org} responds",
                        f"{place}: {org} {verb} damage, {people[1]} reacts",
                        f"{people[1]} and {people[0]} clash over {place} figures",
                        f"{ev.kind[0].capitalize()} in {place}: {ev.num} {ev.kind[2]}"))
    return Article(id=art_id, body="\n\n".join(paras), title=title, outlet=outlet, published=when.isoformat())


def stream(n: int, *, per_day: int = 2000, reports: tuple[int, int] = (2, 6), copy_share: float = 0.15,
           confusable_share: float = 0.1, seed: int = 11) -> Iterator[tuple[Article, str, str | None]]:
    """`n` articles in time order, each with its gold story and, for a reprint, the article it copies."""
    rng = random.Random(seed)
    made = 0
    story_no = 0
    recent: list[tuple[tuple[str, str], str, str]] = []  # (people, place, org) of recent stories
    pending: list[tuple[datetime, str, Article, str, str | None]] = []  # a heap by time
    clock = START
    while made < n:
        if recent and rng.random() < confusable_share:
            people, place, org = rng.choice(recent[-50:])  # same cast and place, another event
        else:
            people, place, org = (_person(rng), _person(rng)), _name(rng, 3), f"{_name(rng, 2)} {rng.choice(_ORG_KIND)}"
        recent = [*recent[-200:], (people, place, org)]
        story = f"g{story_no}"
        story_no += 1
        ev = _event(rng, people, place, org)
        k = rng.randint(*reports)
        outlets = rng.sample(OUTLETS, k)
        for j in range(k):
            when = clock + timedelta(hours=rng.uniform(0, 20))
            art = _report(rng, ev, f"{story}-r{j}", outlets[j], when)
            heapq.heappush(pending, (when, art.id, art, story, None))
            if rng.random() < copy_share:
                edits = rng.sample(EDITS, rng.choice((1, 1, 2)))
                copy = reprint(art, edits, f"{art.id}-c", rng)
                later = when + timedelta(hours=rng.uniform(0.5, 12))
                copy = Article(id=copy.id, body=copy.body, title=copy.title, outlet=rng.choice(OUTLETS),
                               published=later.isoformat())
                heapq.heappush(pending, (later, copy.id, copy, story, art.id))
        clock += timedelta(days=k * (1 + copy_share) / per_day)
        # release what is safely in the past (nothing later is generated before clock)
        while pending and pending[0][0] < clock and made < n:
            _, _, art, gold, copy_of = heapq.heappop(pending)
            made += 1
            yield art, gold, copy_of


def write_jsonl(path: str, n: int, **kwargs: object) -> dict[str, tuple[str, str | None]]:
    """Write `n` articles as JSON Lines records; return url -> (gold story, url of the copied article)."""
    gold: dict[str, tuple[str, str | None]] = {}
    _outlet_of: dict[str, str] = {}
    with open(path, "w", encoding="utf-8") as fh:
        for art, story, copy_of in stream(n, **kwargs):  # type: ignore[arg-type]
            url = f"https://{art.outlet}.example/{art.id}"
            record = {"id": art.id, "url": url, "outlet": art.outlet, "title": art.title,
                      "published": art.published, "text": art.body}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            gold[url] = (story, copy_of and f"https://{_outlet_of[copy_of]}.example/{copy_of}")
            _outlet_of[art.id] = art.outlet
    return gold
