"""Fetch web pages politely: a named User-Agent, timeouts, a size cap, bounded redirects, robots.txt,
at most one request per second per host, and an on-disk cache so a re-run does not fetch again.

Every failure is a `FetchError` (an `InputError` naming the URL and the reason); `transient` tells a
caller that retrying later may succeed (timeouts, 5xx, refused connections) while the rest will not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from storydiff import __version__
from storydiff.errors import InputError, NoArticleError
from storydiff.model import Article

# --- tuning constants -------------------------------------------------------------------------
USER_AGENT = f"storydiff/{__version__} (news comparison tool; +https://pypi.org/project/storydiff/)"
ROBOTS_AGENT = "storydiff"  # the product token robots.txt rules are matched against
CONNECT_TIMEOUT_S = 10.0  # seconds to open a connection
READ_TIMEOUT_S = 20.0  # seconds of silence allowed while reading
TOTAL_TIMEOUT_S = 60.0  # seconds for one whole response (stops slow-drip servers)
MAX_PAGE_BYTES = 5_000_000  # bytes kept of one response; the rest is not downloaded
MAX_REDIRECTS = 5  # hops followed before giving up
MIN_INTERVAL_S = 1.0  # seconds between two requests to the same host
ROBOTS_TTL_S = 24 * 3600.0  # seconds a robots.txt is trusted (RFC 9309 suggests at most a day)
MAX_ROBOTS_BYTES = 500_000  # bytes of robots.txt read (RFC 9309 asks for at least 500 KiB)
CACHE_ENV = "STORYDIFF_CACHE"  # overrides the cache folder
CHUNK_BYTES = 65_536  # bytes read per chunk while streaming

META_SNIFF_BYTES = 4096  # bytes of a page searched for <meta charset>

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class FetchError(InputError):
    """A URL could not be fetched; `transient` is True when trying again later may work."""

    def __init__(self, url: str, reason: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(url, reason)
        self.transient = transient
        self.status = status


def default_cache_dir() -> Path:
    """$STORYDIFF_CACHE, else $XDG_CACHE_HOME/storydiff/http, else ~/.cache/storydiff/http."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "storydiff" / "http"


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How pages are fetched."""

    user_agent: str = USER_AGENT
    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S
    total_timeout: float = TOTAL_TIMEOUT_S
    max_bytes: int = MAX_PAGE_BYTES  # a longer response is cut here (and marked `truncated`)
    max_redirects: int = MAX_REDIRECTS
    min_interval: float = MIN_INTERVAL_S  # per host; a robots.txt Crawl-delay can only lengthen it
    respect_robots: bool = True
    cache_dir: Path | None = None  # None: default_cache_dir(); caching cannot be turned off
    refresh: bool = False  # fetch again even when the cache holds the page


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched (or cached) response body with what is needed to read it."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # media type without parameters, lower case ("text/html")
    charset: str | None
    body: bytes
    fetched_at: float  # Unix time of the network fetch
    from_cache: bool = False
    truncated: bool = False  # the response was longer than max_bytes and was cut
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a refresh was answered 304: the cached body is still current

    def text(self) -> str:
        """The body decoded: the charset the headers or the page's <meta> declare, else UTF-8, else detected."""
        declared = [self.charset] if self.charset else []
        if self.content_type in HTML_TYPES or not self.content_type:
            match = _META_CHARSET.search(self.body[:META_SNIFF_BYTES])
            if match:
                declared.append(match.group(1).decode("ascii").lower())
        for charset in declared:
            try:
                return self.body.decode(charset)
            except (LookupError, UnicodeDecodeError):
                pass
        try:
            return self.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(self.body).best()
            return str(best) if best is not None else self.body.decode("utf-8", "replace")


def is_url(value: object) -> bool:
    """True for an http(s) URL given as text."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def normalize_url(url: str) -> str:
    """The URL without its #fragment and with a lower-case scheme and host (the cache key)."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _check(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FetchError(url, f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, f"not an http(s) URL (scheme {parts.scheme or '(none)'!r})")
    if not parts.hostname:
        raise FetchError(url, "not a valid URL (no host)")
    return normalize_url(url)


class _Cache:
    """Responses on disk: <dir>/<key[:2]>/<key>.body and .json (written atomically)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        sub = self.folder / key[:2]
        return sub / f"{key}.body", sub / f"{key}.json"

    def get(self, url: str) -> Page | None:
        body_path, meta_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None  # a torn or tampered entry is a miss
        return Page(url=url, final_url=meta["final_url"], status=meta["status"],
                    content_type=meta["content_type"], charset=meta.get("charset"), body=body,
                    fetched_at=meta["fetched_at"], from_cache=True, truncated=meta.get("truncated", False),
                    etag=meta.get("etag"), last_modified=meta.get("last_modified"))

    def put(self, page: Page) -> None:
        body_path, meta_path = self._paths(page.url)
        body_path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"url": page.url, "final_url": page.final_url, "status": page.status,
                "content_type": page.content_type, "charset": page.charset, "fetched_at": page.fetched_at,
                "truncated": page.truncated, "etag": page.etag, "last_modified": page.last_modified,
                "sha256": hashlib.sha256(page.body).hexdigest()}
        for path, data in ((body_path, page.body), (meta_path, json.dumps(meta).encode("utf-8"))):
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)


class Fetcher:
    """A polite HTTP client with an on-disk cache; one per process is enough (see `default_fetcher`)."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        import httpx

        self.options = options or FetchOptions()
        self.cache = _Cache(self.options.cache_dir or default_cache_dir())
        self._client = httpx.Client(
            headers={"User-Agent": self.options.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.options.read_timeout, connect=self.options.connect_timeout),
            follow_redirects=False,
        )
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}  # host -> monotonic time of its last request
        self._delay: dict[str, float] = {}  # host -> Crawl-delay from its robots.txt
        self._robots: dict[str, tuple[float, RobotFileParser | None, str]] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self.requests = 0  # network requests made (pages, redirects and robots.txt)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public --------------------------------------------------------------------------------

    def fetch(self, url: str, *, refresh: bool | None = None, public_only: bool = False,
              max_bytes: int | None = None) -> Page:
        """The page at `url`: from the cache when it holds it (unless refreshing), else from the network.

        A refresh of a cached page sends its ETag / Last-Modified, so an unchanged page costs a 304.
        `public_only` refuses (at every redirect hop) hosts that resolve into a private network: for
        links that untrusted content (a feed) chose; `max_bytes` overrides the size cap (sitemaps may be
        50 MB). Raises FetchError naming the URL and the reason.
        """
        key = _check(url)
        refresh = self.options.refresh if refresh is None else refresh
        cached = self.cache.get(key)
        if cached is not None and not refresh:
            return cached
        page = self._fetch(key, cached, public_only, max_bytes)
        if page.not_modified and cached is not None:
            page = replace(cached, not_modified=True, from_cache=True)
        else:
            self.cache.put(page)
        return page

    def cached(self, url: str) -> Page | None:
        """The cached page for `url`, without touching the network."""
        return self.cache.get(_check(url))

    # --- network -------------------------------------------------------------------------------

    def _fetch(self, url: str, cached: Page | None, public_only: bool = False,
               max_bytes: int | None = None) -> Page:
        chain = [url]
        current = url
        while True:
            if public_only:
                host = urlsplit(current).hostname or ""
                addr = private_address(host)
                if addr:
                    where = "redirected " if current != url else ""
                    raise FetchError(url, f"{where}into a private network ({host} is {addr}); not fetched")
            self._allowed(url, current)
            headers = {}
            if cached is not None and len(chain) == 1:
                if cached.etag:
                    headers["If-None-Match"] = cached.etag
                if cached.last_modified:
                    headers["If-Modified-Since"] = cached.last_modified
            status, resp_headers, body, truncated = self._get(url, current, headers, limit=max_bytes)
            if status in _REDIRECT_CODES:
                location = resp_headers.get("location")
                if not location:
                    raise FetchError(url, f"HTTP {status} redirect without a Location header")
                target = normalize_url(urljoin(current, location))
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(url, f"redirected to a non-http(s) URL {target!r}")
                if target in chain:
                    loop = " -> ".join([*chain[chain.index(target):], target])
                    raise FetchError(url, f"redirect loop ({loop})")
                if len(chain) > self.options.max_redirects:
                    raise FetchError(url, f"more than {self.options.max_redirects} redirects "
                                     f"(last: {target})")
                chain.append(target)
                current = target
                continue
            if status == 304 and cached is not None:
                return replace(cached, not_modified=True)
            if status >= 400:
                raise FetchError(url, f"HTTP {status}{_reason(status)}"
                                 + (f" (at {current})" if current != url else ""),
                                 transient=status >= 500 or status == 429, status=status)
            if status != 200:
                raise FetchError(url, f"HTTP {status}{_reason(status)}: no page to read", status=status)
            ctype = resp_headers.get("content-type", "")
            media = ctype.split(";")[0].strip().lower()
            charset = None
            for param in ctype.split(";")[1:]:
                name, _, value = param.partition("=")
                if name.strip().lower() == "charset" and value.strip():
                    charset = value.strip().strip('"\'').lower()
            return Page(url=url, final_url=current, status=status, content_type=media, charset=charset,
                        body=body, fetched_at=time.time(), truncated=truncated,
                        etag=resp_headers.get("etag"), last_modified=resp_headers.get("last-modified"))

    def _get(self, url: str, current: str, headers: dict[str, str],
             limit: int | None = None) -> tuple[int, dict[str, str], bytes, bool]:
        """One GET, streamed and cut at the size cap, after waiting for the host's turn."""
        import httpx

        limit = self.options.max_bytes if limit is None else limit
        self._wait(_host(current))
        started = time.monotonic()
        try:
            with self._client.stream("GET", current, headers=headers) as resp:
                self.requests += 1
                chunks: list[bytes] = []
                size = 0
                truncated = False
                if resp.status_code == 200:
                    for chunk in resp.iter_bytes(CHUNK_BYTES):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > limit:
                            truncated = True
                            break
                        if time.monotonic() - started > self.options.total_timeout:
                            raise FetchError(url, f"took over {self.options.total_timeout:g} s to download",
                                             transient=True)
                body = b"".join(chunks)[:limit]
                return resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, body, truncated
        except httpx.ConnectTimeout:
            raise FetchError(url, f"timed out connecting to {_host(current)} after "
                             f"{self.options.connect_timeout:g} s", transient=True) from None
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out: no data for {self.options.read_timeout:g} s",
                             transient=True) from None
        except httpx.TooManyRedirects:  # pragma: no cover - redirects are followed by hand
            raise FetchError(url, "too many redirects") from None
        except httpx.DecodingError as exc:
            raise FetchError(url, f"cannot decode the response ({exc})") from None
        except httpx.HTTPError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise FetchError(url, f"cannot connect ({reason[:200]})", transient=True) from None
        finally:
            with self._lock:
                self._last[_host(current)] = time.monotonic()

    def _wait(self, host: str) -> None:
        """Sleep until `host` may be asked again (min_interval, or its robots.txt Crawl-delay).

        Threads sharing this fetcher queue up here; then every fetcher on the same cache folder —
        other processes too, such as ingest's workers — queues up on a per-host file lock.
        """
        while True:
            with self._lock:
                gap = max(self.options.min_interval, self._delay.get(host, 0.0))
                last = self._last.get(host)
                now = time.monotonic()
                if last is None or now - last >= gap:
                    self._last[host] = now  # reserve the slot
                    break
                pause = gap - (now - last)
            time.sleep(pause)
        if gap > 0:
            self._wait_shared(host, gap)

    def _wait_shared(self, host: str, gap: float) -> None:
        """The cross-process rate limit: <cache>/.hosts/<hash> holds the time of the host's last request."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the in-process limit alone applies
            return
        path = self.cache.folder / ".hosts" / hashlib.sha256(host.encode("utf-8")).hexdigest()[:24]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+b")  # noqa: SIM115 - held across the lock below
        except OSError:
            return  # an unwritable cache folder only loses the cross-process part
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                try:
                    last = float(fh.read(64) or 0.0)
                except ValueError:
                    last = 0.0
                pause = last + gap - time.time()
                if pause > 0:
                    time.sleep(min(pause, gap))
                fh.seek(0)
                fh.truncate()
                fh.write(repr(time.time()).encode("ascii"))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- robots.txt ----------------------------------------------------------------------------

    def _allowed(self, url: str, current: str) -> None:
        """Raise FetchError when robots.txt forbids `current` (or could not be read: RFC 9309 5xx rule)."""
        if not self.options.respect_robots:
            return
        parts = urlsplit(current)
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one robots.txt request per site, however many threads ask
            entry = self._robots.get(origin)
            if entry is None or time.time() - entry[0] > ROBOTS_TTL_S:
                entry = self._load_robots(origin)
                self._robots[origin] = entry
        _, parser, problem = entry
        if problem:
            raise FetchError(url, problem, transient=True)
        if parser is not None and not parser.can_fetch(ROBOTS_AGENT, current):
            where = f" ({current})" if current != url else ""
            raise FetchError(url, f"blocked by {origin}/robots.txt{where}")

    def _load_robots(self, origin: str) -> tuple[float, RobotFileParser | None, str]:
        """The site's robots.txt: from the cache when under a day old (so processes share it), else fetched."""
        robots_url = f"{origin}/robots.txt"
        key = f"robots {robots_url}"  # its own cache entry: a fetch of the robots.txt page is a page
        cached = self.cache.get(key)
        if cached is not None and time.time() - cached.fetched_at < ROBOTS_TTL_S:
            status, body, fetched_at = cached.status, cached.body, cached.fetched_at
        else:
            current = robots_url
            try:
                for _ in range(MAX_REDIRECTS + 1):  # RFC 9309 2.3.1.2: follow at least five redirects
                    status, headers, body, _ = self._get(robots_url, current, {}, limit=MAX_ROBOTS_BYTES)
                    if status not in _REDIRECT_CODES or not headers.get("location"):
                        break
                    current = urljoin(current, headers["location"])
            except FetchError as exc:
                return time.time(), None, f"cannot read {robots_url} ({exc.reason}); not fetching from that site"
            fetched_at = time.time()
            if status < 500:
                self.cache.put(Page(url=key, final_url=current, status=status, content_type="text/plain",
                                    charset=None, body=body if status == 200 else b"", fetched_at=fetched_at))
        if status in _REDIRECT_CODES or 400 <= status < 500:
            return fetched_at, None, ""  # no usable robots.txt: everything is allowed (RFC 9309 2.3.1.3)
        if status >= 500:
            return fetched_at, None, f"{robots_url} answered HTTP {status}; not fetching from that site"
        parser = RobotFileParser(robots_url)
        parser.parse(body.decode("utf-8", "replace").splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            with self._lock:
                self._delay[urlsplit(origin).netloc] = float(delay)
        return fetched_at, parser, ""


def private_address(host: str, cache: dict[str, str | None] | None = None) -> str | None:
    """The first address `host` resolves to that is not on the public internet (loopback, private,
    link-local, reserved), or None (also when it does not resolve: the fetch will say so)."""
    import ipaddress
    import socket

    if cache is not None and host in cache:
        return cache[host]
    found = None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        infos = []
    for info in infos:
        try:
            addr = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            continue
        if not addr.is_global:
            found = str(addr)
            break
    if cache is not None:
        cache[host] = found
    return found


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""


# --- the process-wide fetcher (the CLI commands and read_article share it) -------------------------

_DEFAULT: dict[str, Any] = {"options": FetchOptions(), "fetcher": None}
_DEFAULT_LOCK = threading.Lock()


def configure(**changes: Any) -> FetchOptions:
    """Change the options of the shared fetcher (e.g. `configure(refresh=True)` for --refresh)."""
    with _DEFAULT_LOCK:
        _DEFAULT["options"] = replace(_DEFAULT["options"], **changes)
        if _DEFAULT["fetcher"] is not None:
            _DEFAULT["fetcher"].close()
            _DEFAULT["fetcher"] = None
        return _DEFAULT["options"]  # type: ignore[no-any-return]


def default_fetcher() -> Fetcher:
    """The shared fetcher (created on first use), so the per-host rate limit holds across callers."""
    with _DEFAULT_LOCK:
        if _DEFAULT["fetcher"] is None:
            _DEFAULT["fetcher"] = Fetcher(_DEFAULT["options"])
        return _DEFAULT["fetcher"]  # type: ignore[no-any-return]


def fetch(url: str, *, refresh: bool | None = None) -> Page:
    """Fetch `url` with the shared fetcher (see `Fetcher.fetch`)."""
    return default_fetcher().fetch(url, refresh=refresh)


TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
JSON_TYPES = frozenset({"application/json"})


def repair_url(value: str) -> str:
    """Undo pathlib folding 'https://' into 'https:/' (a URL that went through Path)."""
    return re.sub(r"^(https?):/(?!/)", r"\1://", value.strip(), flags=re.IGNORECASE)


def read_url(url: str, *, published: str | None = None, fetcher: Fetcher | None = None) -> Article:
    """Fetch a page and read the article in it (HTML, plain text or one JSON article object).

    Raises FetchError when the page cannot be fetched or is not a web page, NoArticleError when it
    holds no article text.
    """
    from storydiff.ingest.extract import extract_html, extract_text, slugify
    from storydiff.ingest.readers import article_from_record

    url = repair_url(url)
    page = (fetcher or default_fetcher()).fetch(url)
    parts = urlsplit(page.final_url)
    article_id = slugify(f"{parts.hostname or ''} {parts.path} {parts.query}") or "page"
    media = page.content_type
    if not media or media == "application/octet-stream":
        media = "text/html" if page.body.lstrip()[:1] == b"<" else "text/plain"
    text = page.text()
    if media in HTML_TYPES or media.endswith("+xml") and "<html" in text[:2000].lower():
        art = extract_html(text, url=page.final_url, source=url, article_id=article_id)
    elif media in TEXT_TYPES:
        art = extract_text(text, source=url, article_id=article_id, url=page.final_url)
        if not art.body:
            raise NoArticleError(url, "no article body found (only a headline)")
    elif media in JSON_TYPES:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FetchError(url, f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if not isinstance(record, dict):
            raise FetchError(url, f"expected one article object, got {type(record).__name__}")
        art = replace(article_from_record({"url": page.final_url, **record}, source=url, published=published),
                      id=article_id)
    else:
        raise FetchError(url, f"not a web page (content type {media})")
    if not art.url:
        art = replace(art, url=page.final_url)
    if art.published is None and published:
        art = replace(art, published=published)
    return art


__all__ = ["FetchError", "FetchOptions", "Fetcher", "Page", "configure", "default_fetcher", "fetch",
           "is_url", "normalize_url", "private_address", "read_url", "repair_url"]
