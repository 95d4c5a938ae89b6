"""The local web UI: `create_app()` builds the ASGI app; `storydiff serve` only starts it.

Every page builds a plain dict (see `views.py`) that renders as HTML, or as JSON when the URL ends in
`.json`. Article text is untrusted: templates autoescape it, no page has inline script, and every
response carries a Content-Security-Policy that allows scripts from this server only.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile
    from starlette.exceptions import HTTPException
    from starlette.formparsers import MultiPartException
    from starlette.middleware.trustedhost import TrustedHostMiddleware
except ImportError as exc:  # pragma: no cover - depends on the environment
    from storydiff.errors import MissingExtraError

    raise MissingExtraError("web", exc.name or "fastapi") from None

from jinja2 import Environment, PackageLoader, select_autoescape

from storydiff import __version__
from storydiff.comparison.pipeline import CompareOptions, compare_articles
from storydiff.errors import StoreError, StorydiffError
from storydiff.model import Article, Report
from storydiff.web import uploads
from storydiff.web.stories import PER_PAGE, StoreStories, StoryProvider, clean_filter
from storydiff.web.views import EXPORTS, compare_form, page_links, story_view

STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"  # static report
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")  # Host headers answered by default
MAX_CACHED_REPORTS = 64  # comparisons kept in memory (compare results and story pages)
MAX_CACHED_STORIES = 256  # compared stories kept per store snapshot (report and page dict)
MAX_CACHED_PAGES = 512  # rendered Stories pages kept per store snapshot
MAX_CACHED_PAGE_BYTES = 256_000  # bytes; bigger pages are rendered each time
MAX_PARALLEL_COMPARISONS = 1  # CPU-bound; spaCy and torch are not made for concurrent calls (torch already uses every core)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")  # story ids and compare keys; no '/', no '..'
MEDIA = {"json": "application/json", "markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("storydiff.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["version"] = __version__
    return env


def split_name(name: str) -> tuple[str, bool]:
    """(name, wants_json) from a path segment like `abc` or `abc.json`; 404 for anything unsafe."""
    as_json = name.endswith(".json")
    if as_json:
        name = name[: -len(".json")]
    if not NAME.match(name) or ".." in name:
        raise HTTPException(404, f"no such page: {name[:80]!r}")
    return name, as_json


def render(request: Request, template: str, data: dict[str, Any], *, as_json: bool = False,
           status: int = 200) -> Response:
    """The page's dict as JSON, or through its template as HTML."""
    if as_json:
        return JSONResponse(data, status_code=status)
    html = _env().get_template(template).render(d=data, request_path=request.url.path,
                                                has_store=getattr(request.app.state, "has_store", False))
    return HTMLResponse(html, status_code=status)


class _Limits:
    """ASGI middleware: security headers on every response; request bodies over the cap get a 413."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = EXPORT_CSP if scope["path"].endswith("/report.html") else CSP

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                headers += [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                message = {**message, "headers": headers}
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(scope, send_with_headers, int(length), self.max_body)
            return
        seen = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise uploads.TooLargeError(
                        f"the upload is over the {uploads.human_bytes(self.max_body)} limit per request")
            return message  # type: ignore[no-any-return]

        await self.app(scope, counting_receive, send_with_headers)


async def _too_large(scope: dict[str, Any], send: Any, size: int, cap: int) -> None:
    msg = (f"The upload is {uploads.human_bytes(size)}: the limit is {uploads.human_bytes(cap)} per request "
           f"and {uploads.human_bytes(uploads.MAX_FILE_BYTES)} per file.")
    html = _env().get_template("error.html.j2").render(
        d={"page": "error", "title": "Upload too large", "status": 413, "message": msg}, request_path=scope["path"])
    body = html.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _Cache:
    """A small thread-safe LRU of comparisons: key -> (report, page dict extras)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[Report, list[str]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[Report, list[str]] | None:
        with self.lock:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
            return item

    def put(self, key: str, value: tuple[Report, list[str]]) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _content_key(articles: list[Article]) -> str:
    digest = hashlib.sha256()
    for art in articles:
        digest.update(json.dumps(art.to_dict(), sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:24]


def _no_telemetry() -> dict[str, Any]:
    """FastAPI >= 0.16x records OpenTelemetry spans by default: off, a local tool exports nothing."""
    import inspect

    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                          "auto_configure": False}}


def create_app(store_path: str | None = None, *, stories: StoryProvider | None = None,
               options: CompareOptions | None = None,
               allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS) -> FastAPI:
    """Build the web app; with a store (a path, or any StoryProvider) it also serves the Stories pages.

    `allowed_hosts` are the Host headers answered (None: any); the loopback default stops a web page
    elsewhere from reading this server through DNS rebinding.
    """
    if stories is None and store_path is not None:
        from storydiff.store import Store

        stories = StoreStories(Store(store_path, read_only=True))
    options = options or CompareOptions()
    provider = stories
    cache = _Cache(MAX_CACHED_REPORTS)
    gate = threading.BoundedSemaphore(MAX_PARALLEL_COMPARISONS)
    app = FastAPI(title="storydiff", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  **_no_telemetry())
    app.state.has_store = provider is not None
    static_files = {p.name for p in STATIC.iterdir() if p.is_file()}

    def run_compare(articles: list[Article]) -> Report:
        articles = [uploads.cut_long_paragraphs(a) for a in articles]
        with gate:
            return compare_articles(articles, options)

    # --- errors ----------------------------------------------------------------------------------

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(StorydiffError)
    async def storydiff_error(request: Request, exc: StorydiffError) -> Response:
        status = 413 if isinstance(exc, uploads.TooLargeError) else 503 if isinstance(exc, StoreError) else 400
        return _error(request, status, str(exc))

    def _error(request: Request, status: int, message: str) -> Response:
        data = {"page": "error", "title": {404: "Not found", 413: "Upload too large"}.get(status, "Error"),
                "status": status, "message": message}
        return render(request, "error.html.j2", data, as_json=request.url.path.endswith(".json"), status=status)

    # --- pages -----------------------------------------------------------------------------------

    @app.get("/")
    async def home() -> Response:
        return RedirectResponse("/stories" if provider is not None else "/compare", status_code=303)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in static_files:  # only files that ship in the package; no paths
            raise HTTPException(404, f"no such file: {name[:80]!r}")
        return FileResponse(STATIC / name, headers={"cache-control": "max-age=3600"})

    @app.get("/compare")
    @app.get("/compare.json")
    async def compare_page(request: Request) -> Response:
        data = compare_form(has_store=provider is not None)
        return render(request, "compare.html.j2", data, as_json=request.url.path.endswith(".json"))

    @app.post("/compare")
    async def compare_post(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            raise HTTPException(403, f"a page from {origin[:80]} may not submit comparisons here")
        try:
            form = await request.form(max_files=uploads.MAX_SOURCES * 2, max_fields=60,
                                      max_part_size=uploads.MAX_FILE_BYTES)
        except MultiPartException as exc:
            raise uploads.TooLargeError(f"the form could not be read: {exc}") from None
        parsed = uploads.Parsed()
        texts = []
        for k, text in enumerate(form.getlist("text"), start=1):
            outlets, dates = form.getlist("outlet"), form.getlist("published")
            outlet = str(outlets[k - 1]) if k <= len(outlets) else ""
            published = str(dates[k - 1]) if k <= len(dates) else ""
            if not isinstance(text, str):
                continue
            texts.append({"outlet": outlet, "published": published, "text": text})
            if not text.strip():
                continue
            try:
                parsed.articles.append(uploads.paste_article(text, number=k, outlet=outlet, published=published))
            except StorydiffError as exc:
                parsed.errors.append(str(exc))
        for item in form.getlist("files"):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            raw = await item.read(uploads.MAX_FILE_BYTES + 1)
            if not raw:
                continue
            try:
                parsed.articles.append(await run_in_threadpool(uploads.file_article, item.filename, raw))
            except StorydiffError as exc:
                parsed.errors.append(str(exc))
        await form.close()
        if len(parsed.articles) > uploads.MAX_SOURCES:
            parsed.errors.append(f"{len(parsed.articles)} reports given: the limit is {uploads.MAX_SOURCES} per comparison")
        if len(parsed.articles) < 2 or len(parsed.articles) > uploads.MAX_SOURCES:
            if len(parsed.articles) < 2:
                parsed.errors.append(f"Give at least two reports of the event ({len(parsed.articles)} read).")
            data = compare_form(errors=parsed.errors, texts=texts if sum(len(t["text"]) for t in texts) < 200_000 else [],
                                has_store=provider is not None)
            return render(request, "compare.html.j2", data, status=400)
        from storydiff.comparison.pipeline import _distinct_ids

        articles = _distinct_ids(parsed.articles)
        key = _content_key(articles)
        if cache.get(key) is None:
            report = await run_in_threadpool(run_compare, articles)
            cache.put(key, (report, parsed.errors))
        return RedirectResponse(f"/compare/{key}", status_code=303)

    def _cached(key: str) -> tuple[Report, list[str]]:
        item = cache.get(key)
        if item is None:
            raise HTTPException(404, "this comparison is no longer in memory (the server keeps the last "
                                     f"{MAX_CACHED_REPORTS}); run it again from the compare page")
        return item

    @app.get("/compare/{name}")
    async def compare_result(request: Request, name: str) -> Response:
        key, as_json = split_name(name)
        report, warnings = _cached(key)
        data = story_view(report, base=f"/compare/{key}", warnings=warnings, back="/compare")
        return render(request, "story.html.j2", data, as_json=as_json)

    @app.get("/compare/{name}/{export}")
    async def compare_export(name: str, export: str) -> Response:
        key, _ = split_name(name)
        return _export(_cached(key)[0], export, key)

    def _export(report: Report, export: str, stem: str) -> Response:
        fmt = {v: k for k, v in EXPORTS.items()}.get(export)
        if fmt is None:
            raise HTTPException(404, f"no export {export[:40]!r}: choose one of {', '.join(EXPORTS.values())}")
        from storydiff.report import render as render_report

        text = render_report(report, fmt)
        ext = export.rsplit(".", 1)[1]
        return Response(text, media_type=MEDIA[fmt],
                        headers={"content-disposition": f'attachment; filename="storydiff-{stem}.{ext}"'})

    # --- stories ---------------------------------------------------------------------------------

    def _provider() -> StoryProvider:
        if provider is None:
            raise HTTPException(404, "no store is open: start with `storydiff serve --db PATH` to browse stories")
        return provider

    responses: OrderedDict[tuple[str, str, int], Response] = OrderedDict()

    async def _snapshot_version() -> int | None:
        """The provider's snapshot version (pages over one snapshot never change), or None: do not cache."""
        prov = _provider()
        fresh = getattr(prov, "fresh_version", None)
        version = fresh() if fresh is not None else None
        if version is not None:
            return version  # checked the file less than REFRESH_CHECK_S ago: no thread hop
        refresh = getattr(prov, "refresh", None)
        return await run_in_threadpool(refresh) if refresh is not None else None

    def _remember(key: tuple[str, str, int] | None, response: Response) -> Response:
        if key is not None and response.status_code == 200 and len(response.body) <= MAX_CACHED_PAGE_BYTES:
            responses[key] = response
            while len(responses) > MAX_CACHED_PAGES:
                responses.popitem(last=False)
        return response

    def _recall(request: Request, version: int | None) -> tuple[tuple[str, str, int] | None, Response | None]:
        if version is None:
            return None, None
        key = (request.url.path, request.url.query, version)
        hit = responses.get(key)
        if hit is not None:
            responses.move_to_end(key)
        return key, hit

    @app.get("/stories")
    @app.get("/stories.json")
    async def stories_page(request: Request) -> Response:
        prov = _provider()
        key, hit = _recall(request, await _snapshot_version())
        if hit is not None:
            return hit
        params = {k: v for k, v in request.query_params.items()}
        flt, errors = clean_filter(params)
        try:
            page = max(1, min(int(params.get("page") or 1), 1_000_000))
        except ValueError:
            page = 1
        rows, total = await run_in_threadpool(prov.list_stories, flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        pages = max(1, -(-total // PER_PAGE))
        facets = await run_in_threadpool(_facets, prov)
        data = {"page": "stories", "title": "Stories", "filters": {f: getattr(flt, f) for f in flt.__slots__},
                "errors": errors, "stories": rows, "total": total, "page_number": page, "pages": pages,
                "links": page_links("/stories", params, page, pages), "facets": facets}
        return _remember(key, render(request, "stories.html.j2", data, as_json=request.url.path.endswith(".json")))

    facet_cache: dict[Any, dict[str, Any]] = {}

    def _facets(prov: StoryProvider) -> dict[str, Any]:
        version = getattr(prov, "version", None)
        if version not in facet_cache:
            facet_cache.clear()
            facet_cache[version] = prov.facets()
        return facet_cache[version]

    story_pages: OrderedDict[str, tuple[Report | None, dict[str, Any]]] = OrderedDict()
    story_lock = threading.Lock()

    def _story(story_id: str) -> tuple[Report | None, dict[str, Any]]:
        """A story's comparison and page dict, cached until the store changes."""
        prov = _provider()
        summary = prov.story(story_id)  # also refreshes the provider's snapshot when the file changed
        if summary is None:
            raise HTTPException(404, f"no story {story_id!r} in the store")
        refresh = getattr(prov, "refresh", None)
        version = refresh() if refresh is not None else None
        articles: list[Article] = []
        copies = 0
        if version is None:  # a live provider: key on the articles themselves
            articles, copies = prov.story_articles(story_id)
            key = f"{story_id}#{_content_key(articles)}#{copies}"
        else:
            key = f"{story_id}@{version}"
        with story_lock:
            hit = story_pages.get(key)
            if hit is not None:
                story_pages.move_to_end(key)
                return hit
        if version is not None:
            articles, copies = prov.story_articles(story_id)
        notes = []
        if copies:
            notes.append(f"{copies} copies of these reports (syndicated or reprinted) are not shown.")
        if len(articles) > uploads.MAX_SOURCES:
            notes.append(f"Showing the first {uploads.MAX_SOURCES} of {len(articles)} independent reports.")
            articles = articles[: uploads.MAX_SOURCES]
        report: Report | None = None
        if len(articles) < 2:
            data = {"page": "single", "title": summary["title"], "story": summary, "notes": notes,
                    "articles": [{"outlet": a.outlet or a.id, "title": a.title, "published": a.published or "",
                                  "paragraphs": a.paragraphs} for a in articles], "back": "/stories"}
        else:
            report = run_compare(articles)
            data = story_view(report, base=f"/stories/{story_id}", title=summary["title"], warnings=notes,
                              back="/stories")
            data["story"] = summary
        with story_lock:
            story_pages[key] = (report, data)
            while len(story_pages) > MAX_CACHED_STORIES:
                story_pages.popitem(last=False)
        return report, data

    @app.get("/stories/{name}")
    async def story_page(request: Request, name: str) -> Response:
        story_id, as_json = split_name(name)
        key, hit = _recall(request, await _snapshot_version())
        if hit is not None:
            return hit
        _, data = await run_in_threadpool(_story, story_id)
        return _remember(key, render(request, "single.html.j2" if data["page"] == "single" else "story.html.j2",
                                     data, as_json=as_json))

    @app.get("/stories/{name}/{export}")
    async def story_export(name: str, export: str) -> Response:
        story_id, _ = split_name(name)
        report, _ = await run_in_threadpool(_story, story_id)
        if report is None:
            raise HTTPException(404, "this story has a single report: there is nothing to compare")
        return _export(report, export, story_id)

    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    inner = app.build_middleware_stack

    def outermost() -> Any:  # outside Starlette's error middleware too, so a 500 carries the headers
        return _Limits(inner(), max_body=uploads.MAX_REQUEST_BYTES)

    app.build_middleware_stack = outermost  # type: ignore[method-assign]
    return app
