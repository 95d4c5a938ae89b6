"""Find boilerplate paragraphs in article text by evidence (reader address, appeal words, bios, credits).

Hand-written: no library scores boilerplate in plain text that has already lost its HTML.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from storydiff.errors import NoArticleError
from storydiff.model import Article, Block

# --- tuning constants -------------------------------------------------------------------------
HEADING_MAX_WORDS = 12  # words; a line this short without final punctuation reads as a heading
NAME_MAX_WORDS = 4  # words in a byline name ("Frank Fang", "Ana María de la Cruz" is 5: rare)
APPEAL_ADDRESS_MIN = 2  # you/your/we/our outside quotes: this many are weak evidence of address
APPEAL_SHORT_WORDS = 40  # words; a paragraph this short is an appeal on one address + one appeal word
OUTLET_SHORT_WORDS = 25  # words; "subscribe", "membership" count only in lines this short with "we/us/our"
APPEAL_LONG_HITS = 5  # address + appeal words that make a longer paragraph an appeal
COMMENT_VOCAB_MIN = 2  # comment-prompt words needed in a short paragraph
COMMENT_MAX_WORDS = 30  # words; comment prompts are short
CREDIT_MAX_WORDS = 20  # words; credit lines are short
SHORT_VOCAB_MAX_WORDS = 15  # words; a line this short may be a site prompt ("Follow us", "Sign up")
EDGE_FRACTION = 0.35  # weak evidence only counts in the first/last 35 % of the paragraphs
MAX_PARAGRAPHS = 5000  # paragraphs scored per text (untrusted input)

# Sentences glued by lost markup: "…difference.Ukraine has…" (a lowercase letter, a full stop and
# a capital that starts a word, with no space). Two lowercase letters avoid "U.S.Army"-like cases.
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")

_QUOTED = re.compile(
    r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)|«[^»]*(?:»|$)|„[^“”]*(?:[“”]|$)"
    r"|‘.*?(?:’(?=[^\w]|$)|$)",  # British single quotes; an apostrophe (don’t) is followed by a letter
    re.S,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

_ADDRESS = frozenset("you your yours yourself yourselves we us our ours ourselves".split())
# Vocabulary of appeals for money or sign-ups and of the outlet talking about its own work.
_APPEAL_STEMS = ("donat", "newsletter", "paywall", "journalis", "reporters", "inbox", "adblock")
# Money words that are an appeal only when the outlet speaks ("subscribe to us"), not in product text.
_OUTLET_STEMS = ("subscri", "membership", "contribut", "patron")
# "your support", "support us", "support our journalism": support asked of the reader
_SUPPORT_ASK = re.compile(r"\b(?:your|our) support\b|\bsupport(?:ing)? (?:us|our)\b", re.I)
_COUNTRY_US = frozenset({"US", "U"})  # "the US", "U.S." name a country, not the reader and the outlet
_FIRST_PLURAL = frozenset("we us our ours ourselves".split())
_SECOND = frozenset("you your yours yourself yourselves".split())
# Vocabulary of site furniture: weaker, it is also common in ordinary blog and product text.
_SOFT_STEMS = (
    "register", "email", "account", "login", "download", "app", "follow", "share", "podcast",
    "click", "tap", "cookie", "advert", "unlock", "member", "afford", "sign", "notification",
)  # fmt: skip
_COMMENT_WORDS = frozenset(
    "join comment comments commenting replies reply readers reader forum forums conversation "
    "conversations discussion discuss community log sign".split()
)
_ATTRIBUTION = re.compile(
    r"\b(said|says|say|told|tells|asked|added|according to|stated|wrote|urged|insisted|declared)\b", re.I
)
_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]+\s){1,4}(?:is|was|has been)\s+(?:a|an|the)\b[^.]{0,120}?"
    r"\b(?:journalist|reporter|correspondent|editor|writer|contributor|columnist|producer|author|"
    r"photographer|analyst|freelancer|intern|fellow)s?\b"
    r"|\b(?:he|she|they)\s+(?:covers|has covered|reports on|writes about|holds an?\b[^.]{0,40}\bdegree)"
    r"|\bholds an?\b[^.]{0,60}\bdegree\b"
    r"|-based (?:journalist|reporter|correspondent|writer|editor)\b",
    re.I,
)
_BIO_START = re.compile(r"^(?:[A-Z][\w.'’-]+\s){1,4}(?:is|was|has been)\b")
_CREDIT = re.compile(
    r"^(?:additional )?(?:reporting|editing|writing|research|translation|translated|graphics|"
    r"photos?|photograph(?:y|s)?|images?|video|pictures?|illustration|produced|compiled|written)"
    r"(?: and [a-z]+)?(?: by|:)"
    r"|^(?:©|\(c\)|copyright\b)|\ball rights reserved\b|^(?:source|credit|credits|image credit|photo credit)s?:"
    r"|^\((?:reuters|ap|afp|bloomberg)\)$",
    re.I,
)
_NAME = re.compile(
    r"^(?:by\s+)?[A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]+|de|da|van|von|der|del|la|le|bin|al)){1,3}$"
)
_DETERMINERS = frozenset({"The", "A", "An", "This", "That", "These", "Those", "Our", "Your", "My"})
_HEADING_END = re.compile(r"[.!?:;,]$")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why one paragraph looks like boilerplate: strong evidence drops it anywhere, weak only at edges."""

    reason: str
    strong: bool


def split_glued(text: str) -> str:
    """Put a paragraph break where lost markup glued two blocks ("difference.Ukraine"), never inside a quote."""
    out: list[str] = []
    last = 0
    balance = 0  # open minus closed curly quotes before the cut, counted incrementally
    scanned = 0
    for match in _GLUED.finditer(text):
        cut = match.start()
        balance += _quote_balance(text[scanned:cut])
        scanned = cut
        if balance != 0:
            continue
        out.append(text[last:cut])
        last = cut
    out.append(text[last:])
    return "\n".join(out)


def _quote_balance(text: str) -> int:
    """Open minus closed curly quotes: a glued split must not cut a quotation in two."""
    return text.count("“") - text.count("”")


def unquoted(text: str) -> str:
    """The paragraph with quoted speech removed (an unclosed quote runs to the end)."""
    return _QUOTED.sub(" ", text)


def _words(text: str) -> list[str]:
    """Lower-case word tokens, apostrophe-forms folded."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _hits(words: list[str], stems: tuple[str, ...]) -> int:
    """How many words start with one of the stems."""
    return sum(1 for w in words if w.startswith(stems))


def is_heading(text: str) -> bool:
    """A short line with no final punctuation: a heading, label or menu item."""
    stripped = text.strip().rstrip("”\"'’)]")
    return bool(stripped) and len(_words(text)) <= HEADING_MAX_WORDS and not _HEADING_END.search(stripped)


def is_name_line(text: str) -> bool:
    """A line holding only a person's name (optionally after "By"): a byline."""
    line = text.strip()
    if line.endswith(("...", "…")) or line.split(" ", 1)[0] in _DETERMINERS:
        return False
    return (
        bool(_NAME.match(line))
        and len(line.split()) <= NAME_MAX_WORDS + 1
        and not any(w in _COMMENT_WORDS for w in _words(line))
    )


def judge(paragraph: str) -> Verdict | None:
    """Score one paragraph; return the boilerplate verdict or None when it reads as article text."""
    text = paragraph.strip()
    if not text:
        return Verdict("empty", True)
    all_words = _words(text)
    outside = unquoted(text)
    words = _words(outside)
    n = len(all_words)
    if _BIO.search(text) and (_BIO_START.match(text) or n <= 60):
        return Verdict("author bio", True)
    if n <= CREDIT_MAX_WORDS and _CREDIT.search(text):
        return Verdict("credit line", True)
    cased = [w for w in _WORD.findall(outside) if w not in _COUNTRY_US]
    address = sum(1 for w in cased if w.lower() in _ADDRESS)
    us = sum(1 for w in cased if w.lower() in _FIRST_PLURAL)
    appeal = _hits(words, _APPEAL_STEMS) + len(_SUPPORT_ASK.findall(outside))
    if us and n <= OUTLET_SHORT_WORDS:
        appeal += _hits(words, _OUTLET_STEMS)
    soft = _hits(words, _SOFT_STEMS)
    attributed = bool(_ATTRIBUTION.search(outside))
    comment = sum(1 for w in words if w in _COMMENT_WORDS)
    if n <= COMMENT_MAX_WORDS and comment >= COMMENT_VOCAB_MIN:
        return Verdict("comment prompt", True)
    if not attributed:
        # the outlet speaking ("we", "our") or addressing the reader about money, sign-ups, its journalism
        if appeal and (us or address) and (n <= APPEAL_SHORT_WORDS or appeal + address >= APPEAL_LONG_HITS):
            return Verdict("reader appeal", True)
        if address >= APPEAL_ADDRESS_MIN:
            return Verdict("reader address", False)
        if n <= SHORT_VOCAB_MAX_WORDS and (appeal >= 1 or soft >= 1) and (address or appeal + soft >= 2):
            return Verdict("site prompt", False)
        if n <= SHORT_VOCAB_MAX_WORDS and comment >= 1 and is_heading(text):
            return Verdict("comment heading", False)
    if is_name_line(text):
        return Verdict("byline", False)
    if is_heading(text):
        return Verdict("heading", False)
    return None


def classify(paragraphs: list[str]) -> list[Verdict | None]:
    """Judge every paragraph, keeping weak evidence only inside boilerplate runs at the edges."""
    verdicts = [judge(p) for p in paragraphs[:MAX_PARAGRAPHS]] + [None] * max(
        0, len(paragraphs) - MAX_PARAGRAPHS
    )
    n = len(paragraphs)
    edge = max(2, int(n * EDGE_FRACTION))
    final: list[Verdict | None] = [v if v and v.strong else None for v in verdicts]

    def sweep(order: list[int]) -> None:
        """Walk inwards from one edge; weak lines go when they touch strong boilerplate of the run."""
        pending: list[int] = []
        after_strong = False
        run_starts_after_strong = False
        for step, i in enumerate(order):
            v = verdicts[i]
            if v is None or step >= edge:
                break
            if v.strong:
                for j in pending:
                    final[j] = verdicts[j]
                pending = []
                after_strong = True
            else:
                if not pending:
                    run_starts_after_strong = after_strong
                pending.append(i)
        if pending and run_starts_after_strong and len(pending) <= 2:
            for j in pending:
                final[j] = verdicts[j]

    sweep(list(range(n)))
    sweep(list(range(n - 1, -1, -1)))
    # weak lines squeezed between two strong boilerplate paragraphs anywhere are part of the run
    for i in range(1, n - 1):
        if final[i] is None and verdicts[i] is not None and final[i - 1] and final[i + 1]:
            final[i] = verdicts[i]
    return final


def strip_boilerplate(paragraphs: list[str]) -> tuple[list[str], list[Block]]:
    """Split glued blocks, drop boilerplate paragraphs; return the kept paragraphs and the dropped blocks."""
    pieces: list[str] = []
    joins: list[bool] = []  # True when a piece was glued to the previous one
    for para in paragraphs:
        parts = [p for p in split_glued(para).split("\n") if p.strip()]
        for k, part in enumerate(parts):
            pieces.append(part.strip())
            joins.append(k > 0)
    verdicts = classify(pieces)
    kept: list[str] = []
    dropped: list[Block] = []
    prev_kept = False
    for piece, glued, verdict in zip(pieces, joins, verdicts, strict=True):
        if verdict is not None:
            dropped.append(Block(piece, verdict.reason))
            prev_kept = False
            continue
        if glued and prev_kept and kept:
            kept[-1] = f"{kept[-1]} {piece}"
        else:
            kept.append(piece)
        prev_kept = True
    return kept, dropped


# --- site-level boilerplate: blocks that repeat across many pages of one site ------------------

SITE_MIN_PAGES = 3  # pages of one site needed before anything is learned
SITE_MIN_SHARE = 0.3  # a block on at least this share of the site's pages is site furniture
SITE_MIN_REPEATS = 3  # … and on at least this many pages (two articles may share a quote)
SITE_MAX_BLOCK_CHARS = 2000  # characters; longer paragraphs are never treated as furniture

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class SiteModel:
    """What one site repeats on its pages: block fingerprints and on how many pages each was seen."""

    site: str
    pages: int
    blocks: dict[str, int]  # fingerprint -> number of pages holding the block

    def __contains__(self, paragraph: str) -> bool:
        return _fingerprint(paragraph) in self.blocks


def _fingerprint(paragraph: str) -> str:
    """A block's identity across pages: lower-cased words, numbers folded (dates, counters change)."""
    return " ".join(_DIGITS.sub("0", " ".join(_WORD.findall(paragraph.lower()))).split())


def _page_paragraphs(page: Article | str) -> list[str]:
    """The paragraphs of a page: an Article's body (and dropped blocks), or text split at line breaks."""
    if isinstance(page, Article):
        return page.paragraphs + [b.text for b in page.dropped]
    return [p.strip() for p in page.split("\n") if p.strip()]


def learn_site_boilerplate(pages: Iterable[Article | str], *, site: str = "") -> SiteModel:
    """Learn the blocks one site repeats on many of its pages (header, donation box, most-read, footer)."""
    counts: Counter[str] = Counter()
    n = 0
    for page in pages:
        n += 1
        seen = {_fingerprint(p) for p in _page_paragraphs(page) if len(p) <= SITE_MAX_BLOCK_CHARS}
        seen.discard("")
        counts.update(seen)
    if n < SITE_MIN_PAGES:
        return SiteModel(site, n, {})
    need = max(SITE_MIN_REPEATS, math.ceil(SITE_MIN_SHARE * n))
    return SiteModel(site, n, {fp: c for fp, c in counts.items() if c >= need})


def strip_site_boilerplate(article: Article, model: SiteModel) -> Article:
    """Drop the article's paragraphs that the site repeats on many pages; each becomes a dropped Block."""
    if not model.blocks:
        return article
    kept: list[str] = []
    dropped: list[Block] = []
    for para in article.paragraphs:
        seen = model.blocks.get(_fingerprint(para)) if len(para) <= SITE_MAX_BLOCK_CHARS else None
        if seen:
            dropped.append(Block(para, f"repeats on {seen} of {model.pages} pages of this site"))
        else:
            kept.append(para)
    if not dropped:
        return article
    if not kept:
        name = article.source or article.url or article.id
        raise NoArticleError(name, f"no article text: every block repeats across {model.site or 'the site'}")
    return replace(article, body="\n\n".join(kept), dropped=article.dropped + tuple(dropped))


def site_of(article: Article) -> str:
    """The site an article belongs to: its URL's host, else its outlet, else ""."""
    host = urlsplit(article.url).hostname if article.url else None
    if host:
        return host.removeprefix("www.")
    return article.outlet.strip().lower()


def strip_sites_boilerplate(articles: Sequence[Article]) -> tuple[list[Article], list[NoArticleError]]:
    """Group articles by site, learn each site's repeated blocks and drop them from all its pages.

    Returns the cleaned articles and, apart, the pages left with no article text.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, art in enumerate(articles):
        site = site_of(art)
        if site:
            groups[site].append(i)
    out: list[Article | None] = list(articles)
    errors: list[NoArticleError] = []
    for site, idx in groups.items():
        model = learn_site_boilerplate([articles[i] for i in idx], site=site)
        for i in idx:
            try:
                out[i] = strip_site_boilerplate(articles[i], model)
            except NoArticleError as exc:
                out[i] = None
                errors.append(exc)
    return [a for a in out if a is not None], errors
