"""Ingest throughput: articles/second of `ingest` against trafilatura extraction alone, same pages, same run.

Generates HTML pages from templates of several fictional news sites, each page wrapped in the
boilerplate real sites carry (navigation, cookie notice, share bar, donation box, related list,
footer, reader comments); several stories, each reported by several sites, some pages syndicated
copies of another site's article with small edits. Times `trafilatura.extract` over the pages in one
process (the baseline) and on all cores, then `ingest` into a fresh temporary store on all cores
(reading, extraction, copies, stories, commits), and prints the ratios (target >= 0.5).

    .venv/bin/python bench/ingest_bench.py [--pages 2000] [--embedder auto] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SEED = 20240501  # the same pages every run
STORIES = 60  # distinct news events
COPY_SHARE = 0.15  # share of pages that reprint another site's article with small edits
SITES = (  # (outlet, domain, layout)
    ("The Harbour Courier", "harbourcourier.example", "classic"),
    ("Northgate Daily", "northgatedaily.example", "cards"),
    ("Valley Ledger", "valleyledger.example", "classic"),
    ("Metro Wire Online", "metrowire.example", "cards"),
    ("Coastline Post", "coastlinepost.example", "minimal"),
    ("The Civic Record", "civicrecord.example", "classic"),
)
PLACES = ("Port Avalon", "Eastmere", "Kilbride", "Santa Verde", "Oldham Bay", "Ravensholm", "Lisker",
          "New Corran", "Tarrow", "Bellmoor")
PEOPLE = ("Maria Okafor", "Jonas Weber", "Priya Natarajan", "Tomas Lindqvist", "Aiko Tanaka", "Samuel Osei",
          "Elena Petrova", "David Mbeki", "Lucia Ferreira", "Rafael Ortega", "Hannah Kowalski", "Omar Haddad")
ROLES = ("mayor", "fire chief", "health minister", "police spokesperson", "union leader", "school board chair",
         "port authority director", "finance minister", "city council member", "hospital director")
EVENTS = (
    ("fire", "A fire broke out at {place}'s {thing} late on {day}, forcing {n} residents to leave their homes."),
    ("flood", "Heavy rain flooded parts of {place} on {day}, cutting power to {n} households near the {thing}."),
    ("strike", "Workers at the {place} {thing} walked out on {day}, the first strike there in {n} years."),
    ("budget", "{place} approved a budget of {n} million on {day}, with new money for the {thing}."),
    ("election", "Voters in {place} chose a new council on {day}; turnout at the {thing} polling sites reached {n} percent."),
    ("outbreak", "Health officials in {place} reported {n} new cases of a stomach illness linked to the {thing} on {day}."),
    ("crash", "A bus collided with a lorry near the {place} {thing} on {day}, injuring {n} passengers."),
    ("opening", "The long-delayed {thing} in {place} opened to the public on {day} after {n} months of work."),
)
THINGS = ("harbour warehouse", "central library", "rail depot", "river bridge", "shipyard", "general hospital",
          "market hall", "water treatment plant", "old cannery", "stadium")
FILLER = (
    "Officials said the cause was still under investigation and more details would follow.",
    "Local businesses said they expected the disruption to last for several days.",
    "Residents gathered outside the building as emergency crews worked through the night.",
    "The council will meet again next week to discuss the next steps.",
    "Several roads in the area remained closed on Wednesday morning.",
    "Opposition members criticised the response, calling it slow and poorly coordinated.",
    "A public inquiry has been requested by at least two community groups.",
    "Insurance assessors are expected to visit the site later this week.",
    "Volunteers set up a temporary shelter in a nearby school gymnasium.",
    "Transport operators advised travellers to allow extra time for their journeys.",
    "Figures released by the regional statistics office showed a similar pattern last year.",
    "The announcement came after weeks of pressure from neighbourhood associations.",
)
COMMENTS = ("This is exactly what we warned about last year.", "Thoughts with everyone affected.",
            "Why did it take so long to respond?", "Great reporting, thank you.", "Not surprised at all.",
            "Does anyone know if the school is open tomorrow?")


QUOTE_VERBS = ("said", "told reporters", "said in a statement", "told a press conference", "wrote on social media")
OPENERS = ("", "Here is what we know so far. ", "This story is developing. ", "Updated {day} evening. ")


def _story(rng: random.Random, k: int) -> dict[str, object]:
    """One news event: what, where, who, when, and the numbers every report draws on."""
    kind, lead = EVENTS[k % len(EVENTS)]
    when = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=rng.randrange(60), hours=rng.randrange(24))
    return {"kind": kind, "lead": lead, "place": rng.choice(PLACES), "thing": rng.choice(THINGS),
            "who": rng.sample(PEOPLE, 2), "roles": rng.sample(ROLES, 2), "when": when,
            "n": rng.randrange(3, 400), "affected": rng.randrange(20, 900), "inspections": rng.randrange(2, 9),
            "since": 2015 + rng.randrange(8)}


def _article(rng: random.Random, story: dict[str, object]) -> tuple[str, list[str]]:
    """A site's own report of a story: the same facts and names, worded and ordered its own way."""
    st: dict = story  # type: ignore[type-arg]
    place, thing, (p1, p2), (r1, r2) = st["place"], st["thing"], st["who"], st["roles"]
    day = st["when"].strftime("%A")
    lead = rng.choice(OPENERS).format(day=day) + st["lead"].format(place=place, thing=thing, day=day, n=st["n"])
    quotes = ["We are doing everything we can", "Our priority is the safety of residents",
              "Questions will be answered in full", "This should never have happened"]
    facts = [
        f'"{rng.choice(quotes)}," {p1}, the {r1} of {place}, {rng.choice(QUOTE_VERBS)}.',
        rng.choice([f"{p2}, the {r2}, said the {thing} had been inspected {st['inspections']} times since {st['since']}.",
                    f"The {thing} has had {st['inspections']} inspections since {st['since']}, {p2} said.",
                    f"Records cited by {p2} show {st['inspections']} inspections of the site since {st['since']}."]),
        rng.choice([f"About {st['affected']} people were affected, according to the {r2}'s office.",
                    f"Some {st['affected']} residents were affected, officials estimated.",
                    f"The {r2}'s office put the number affected at {st['affected']}."]),
        rng.choice([f"{p1} promised an update within two days.", f"A further statement is expected from {p1} soon.",
                    f"{p1} said more information would be published shortly."]),
    ]
    body = [lead] + rng.sample(facts, k=rng.randrange(2, len(facts) + 1)) + rng.sample(FILLER, k=rng.randrange(2, 5))
    title = rng.choice([f"{st['kind'].capitalize()} at {place} {thing}: {p1} promises answers",
                        f"{place} {st['kind']}: {st['n']} affected near {thing}",
                        f"{p1} speaks after {st['kind']} in {place}",
                        f"What we know about the {place} {thing} {st['kind']}"])
    paras = [" ".join(body[i : i + 2]) for i in range(0, len(body), 2)]
    return title, paras


def _syndicate(rng: random.Random, title: str, paras: list[str]) -> tuple[str, list[str]]:
    """A reprint with small edits: a changed headline, a trimmed last paragraph or an added byline."""
    edit = rng.randrange(3)
    if edit == 0:
        title = title.replace(":", " -") + " (update)"
    elif edit == 1 and len(paras) > 2:
        paras = paras[:-1]
    else:
        paras = ["(Wire report) Staff and agencies."] + paras
    return title, paras


def _page(site: tuple[str, str, str], title: str, paras: list[str], when: datetime, author: str,
          slug: str, related: list[str], rng: random.Random) -> str:
    """One full HTML page of a site's template around an article."""
    outlet, domain, layout = site
    url = f"https://{domain}/news/{slug}"
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in
                  ("Home", "News", "Politics", "Business", "Sport", "Culture", "Opinion", "Weather"))
    share = "".join(f'<a class="share-{s}" href="https://{s}.example/share?u={url}">Share on {s}</a>'
                    for s in ("facebook", "x", "linkedin", "email"))
    rel = "".join(f'<li><a href="https://{domain}/news/r{i}">{escape(r)}</a></li>' for i, r in enumerate(related))
    comments = "".join(f'<div class="comment"><span class="user">reader{rng.randrange(999)}</span>'
                       f"<p>{escape(c)}</p></div>" for c in rng.sample(COMMENTS, k=3))
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    stamp = when.isoformat()
    article = (f'<article><h1 class="headline">{escape(title)}</h1>'
               f'<div class="byline">By {escape(author)} | <time datetime="{stamp}">{when:%d %B %Y}</time></div>'
               f'<div class="share-bar">{share}</div><div class="article-body">{body}</div></article>')
    if layout == "cards":
        article = f'<main class="grid"><div class="card main-card">{article}</div></main>'
    elif layout == "classic":
        article = f'<div id="content"><div class="column-left">{article}</div></div>'
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {outlet}</title>
<meta property="og:title" content="{escape(title)}"><meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{stamp}"><meta name="author" content="{escape(author)}">
<link rel="canonical" href="{url}"><script>window.dataLayer=[];function track(){{}}</script></head>
<body><header><div class="logo">{outlet}</div><nav><ul>{nav}</ul></nav></header>
<div id="cookie-banner" class="cookie-notice">We use cookies to improve your experience. By continuing you
accept our <a href="/privacy">privacy policy</a>. <button>Accept all</button> <button>Manage settings</button></div>
{article}
<aside class="donate"><h3>Support independent journalism</h3><p>Our reporting is free for everyone. If you
value it, please consider a contribution today: every gift, however big or small, makes a difference.</p>
<a class="button" href="/donate">Give now</a></aside>
<aside class="related"><h3>Related stories</h3><ul>{rel}</ul></aside>
<section class="comments"><h3>Comments</h3>{comments}</section>
<footer><p>&copy; 2024 {outlet}. All rights reserved.</p><ul><li><a href="/about">About us</a></li>
<li><a href="/contact">Contact</a></li><li><a href="/terms">Terms</a></li><li><a href="/privacy">Privacy</a></li></ul>
<p>Registered office: 1 Example Street. Newsletter: sign up for our morning briefing.</p></footer></body></html>"""


def generate(pages: int, out: Path) -> list[Path]:
    """Write `pages` HTML pages under `out` (one folder per site) and return their paths."""
    rng = random.Random(SEED)
    stories = [_story(rng, k) for k in range(STORIES)]
    written: list[tuple[dict[str, object], str, list[str]]] = []
    paths: list[Path] = []
    for i in range(pages):
        site = SITES[i % len(SITES)]
        if written and rng.random() < COPY_SHARE:
            story, title, paras = rng.choice(written)
            title, paras = _syndicate(rng, title, paras)
        else:
            story = rng.choice(stories)
            title, paras = _article(rng, story)
            written.append((story, title, paras))
        when = story["when"] + timedelta(hours=rng.randrange(36), minutes=rng.randrange(60))  # type: ignore[operator]
        related = [f"{s['place']}: latest on the {s['kind']}" for s in rng.sample(stories, 4)]
        html = _page(site, title, paras, when, rng.choice(PEOPLE), f"{i:05d}-{story['kind']}", related, rng)
        path = out / site[1] / f"{i:05d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        paths.append(path)
    return paths


def _trafilatura(paths: list[Path]) -> int:
    """Extract main text with trafilatura alone (the baseline); return how many pages gave text."""
    import trafilatura

    done = 0
    for path in paths:
        html = path.read_text(encoding="utf-8")
        if trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False,
                               favor_precision=True):
            done += 1
    return done


def _split(items: list[Path], parts: int) -> list[list[Path]]:
    return [items[i::parts] for i in range(parts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--embedder", default=None, help="story clustering backend (default: the clusterer's)")
    parser.add_argument("--keep", type=Path, default=None, help="write the pages here and keep them")
    args = parser.parse_args()

    from storydiff.ingest.pipeline import IngestOptions, ingest
    from storydiff.store import Store

    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="storydiff-ingest-bench-"))
    try:
        pages_dir = args.keep or tmp / "pages"
        paths = generate(args.pages, pages_dir)
        _trafilatura(paths[:20])  # warm-up (imports), not timed
        start = time.perf_counter()
        got = _trafilatura(paths)
        base_s = time.perf_counter() - start
        with ProcessPoolExecutor(cores) as pool:
            list(pool.map(_trafilatura, _split(paths[:20 * cores], cores)))  # start and warm the workers
            start = time.perf_counter()
            got_all = sum(pool.map(_trafilatura, _split(paths, cores)))
            all_s = time.perf_counter() - start
        store = Store(tmp / "bench.duckdb")
        start = time.perf_counter()
        summary = ingest([pages_dir], store, IngestOptions(embedder=args.embedder))
        ingest_s = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base_rate, all_rate, rate = len(paths) / base_s, len(paths) / all_s, len(paths) / ingest_s
    print(f"pages: {len(paths)} from {len(SITES)} sites, {STORIES} stories, ~{COPY_SHARE:.0%} syndicated copies")
    print(f"trafilatura.extract, 1 process: {base_s:.2f} s, {base_rate:.1f} articles/s ({got} with text)")
    print(f"trafilatura.extract, {cores} processes: {all_s:.2f} s, {all_rate:.1f} articles/s ({got_all} with text)")
    print(f"ingest ({cores} workers, fresh store): {ingest_s:.2f} s, {rate:.1f} articles/s; added {summary.added}, "
          f"duplicates {summary.duplicates}, stories {summary.new_stories}, failures {len(summary.failures)}, "
          f"skipped {dict(summary.skipped)}")
    print(f"ratio: ingest / trafilatura 1 process {rate / base_rate:.2f} (target >= 0.5); "
          f"ingest / trafilatura on {cores} processes {rate / all_rate:.2f}")
    return 0 if summary.added else 1


if __name__ == "__main__":
    sys.exit(main())
