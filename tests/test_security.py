"""Security rules, one test each: article text never runs as code, never names a file, never reaches a shell.

Rules: every report format and web page escapes article text (and drops terminal control codes);
every web response carries the CSP; every web route that takes a name rejects path traversal;
uploads are capped; `serve` binds 127.0.0.1 by default; nothing in src evaluates or unpickles
input (a static scan); the store path and the files the user names are never built from article
content; search text reaches SQL only as a parameter.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from starlette.routing import Route  # noqa: E402
from tests.test_ingest import KeywordPlacer  # noqa: E402

from storydiff.analyze import AnalyzeOptions  # noqa: E402
from storydiff.cli import build_parser, main  # noqa: E402
from storydiff.comparison.pipeline import CompareOptions, compare_articles  # noqa: E402
from storydiff.model import Article  # noqa: E402
from storydiff.report import render  # noqa: E402
from storydiff.web import uploads  # noqa: E402
from storydiff.web.app import create_app  # noqa: E402

SRC = Path(__file__).resolve().parent.parent / "src" / "storydiff"
LOCAL = "http://127.0.0.1"
FAST = CompareOptions(embedder="hashing", analyze=AnalyzeOptions(use_model=False))
EVIL_NAME = f"storydiff-evil-{uuid.uuid4().hex[:8]}"  # a file name no test should ever see created
SCRIPT = "<script>window.pwned=1</script>"
IMG = '<img src=x onerror="window.pwned=2">'
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"  # clear screen, set title, write the clipboard
HOSTILE_BODY = (f"The ferry council met on Monday {SCRIPT} and approved the budget of 5 million. {IMG} "
                f'[click](javascript:alert(1)) <a href="javascript:alert(2)">here</a> {ESCAPES} | a | b |\n\n'
                "The mayor said the vote on the ferry was close.")
HOSTILE = Article(id="hostile", title=f"Ferry budget {SCRIPT} {ESCAPES}", body=HOSTILE_BODY,
                  outlet=f"Evil <b>Outlet</b> {IMG}", author=f"{SCRIPT}", published="2031-04-08",
                  url="javascript:alert(3)")
CALM = Article(id="calm", title="Ferry budget approved", outlet="Calm Courier", published="2031-04-09",
               body="The ferry council met on Monday and approved the budget of 6 million.\n\n"
                    "The vote on the ferry was close, the mayor said.")


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _assert_inert_html(page: str) -> None:
    """No markup from the article survives: no tag it wrote, no handler, no javascript: link, no control code."""
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "b", "iframe", "object", "embed"), (tag, attrs)
        assert tag != "script" or attrs.get("src", "").startswith("/static/"), attrs
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for key in ("href", "src", "action", "formaction"):
            assert not attrs.get(key, "").strip().lower().startswith("javascript:"), (tag, attrs)
    assert "\x1b" not in page and "\x07" not in page


# --- rendering escapes article text in every report format -----------------------------------------------


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return compare_articles([HOSTILE, CALM], FAST)


@pytest.mark.parametrize("color", [False, True])
def test_terminal_report_carries_no_control_codes_from_articles(report, color: bool) -> None:  # type: ignore[no-untyped-def]
    text = render(report, "terminal", color=color)
    for seq in ("\x1b[2J", "\x1b]", "\x07"):  # clear screen, set title / clipboard, bell: gone...
        assert seq not in text
    assert "the budget of 5 million" in text  # ...and the article is still shown (rich may wrap the line)


def test_markdown_report_escapes_markup_and_control_codes(report) -> None:  # type: ignore[no-untyped-def]
    text = render(report, "markdown")
    assert SCRIPT not in text and "<img" not in text.replace("\\<img", "")
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # an article's [x](javascript:) is not a link
    assert "\x1b" not in text and "\x07" not in text


def test_html_report_escapes_article_text(report) -> None:  # type: ignore[no-untyped-def]
    page = render(report, "html")
    _assert_inert_html(page)
    assert "<script" not in page  # the HTML report carries no script at all
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page


def test_json_report_round_trips_the_text_as_data(report) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(render(report, "json"))
    assert any(SCRIPT in a["title"] for a in data["articles"])  # kept verbatim, as data, for tools


# --- the web UI: escaping on every page, CSP, path traversal, caps, binding -----------------------------


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the hostile report and a calm one in one story ("ferry"), ingested as a user would."""
    d = tmp_path_factory.mktemp("hostile-store")
    feed = d / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(a.to_dict()) for a in (HOSTILE, CALM)) + "\n", encoding="utf-8")
    db = d / "news.duckdb"
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.setattr("storydiff.ingest.pipeline.default_placer", lambda store: KeywordPlacer())
        assert main(["ingest", str(feed), "--db", str(db), "--workers", "1", "--no-progress"]) == 0
    return db


@pytest.fixture(scope="module")
def web(hostile_store: Path) -> TestClient:
    return TestClient(create_app(str(hostile_store), options=FAST), base_url=LOCAL)


def _pages(web: TestClient) -> dict[str, str]:
    """Every page and export that shows article text, the compare result included."""
    text = [f"{a.title}\n\n{a.body}" for a in (HOSTILE, CALM)]
    posted = web.post("/compare", data={"text": text, "outlet": [HOSTILE.outlet, CALM.outlet]}, follow_redirects=False)
    assert posted.status_code == 303
    result = posted.headers["location"]
    paths = ["/stories", "/stories?q=ferry", "/stories/ferry", "/stories/ferry/report.html",
             "/stories/ferry/report.md", result, f"{result}/report.html", f"{result}/report.md"]
    return {p: web.get(p).text for p in paths}


def test_every_web_page_escapes_article_text(web: TestClient) -> None:
    for path, page in _pages(web).items():
        assert "Ferry budget" in page or "ferry" in page.lower(), path
        if path.endswith(".md"):
            assert SCRIPT not in page and "\x1b" not in page, path
        else:
            _assert_inert_html(page)
            assert len(re.findall(r"<script\b", page)) <= 1, path  # at most our own, from /static
            assert all(s.startswith('<script src="/static/') for s in re.findall(r"<script\b[^>]*>", page)), path


def _get_routes(app) -> list[Route]:  # type: ignore[no-untyped-def]
    return [r for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or ())]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_every_web_response_carries_the_csp(web: TestClient) -> None:
    paths = [_fill(r.path, "ferry") for r in _get_routes(web.app)] + ["/nope", "/stories/ferry/report.exe"]
    assert len(paths) >= 8
    responses = [web.get(p) for p in paths]
    responses.append(web.post("/compare", data={"text": ["too few"]}))
    responses.append(web.post("/compare", content=b"x" * (uploads.MAX_REQUEST_BYTES + 1),
                              headers={"content-type": "text/plain"}))
    for r in responses:
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (r.url, r.status_code)
        assert "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0] or "script-src" not in csp
        assert r.headers.get("x-content-type-options") == "nosniff"


TRAVERSAL = ["..", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2fapp.py", "..%5C..%5Capp.py", "....%2F%2F",
             "a%00b", "%2Fetc%2Fpasswd", "C:%5CWindows%5Cwin.ini", "..;", "%252e%252e%252f"]


@pytest.mark.parametrize("payload", TRAVERSAL)
def test_every_route_that_takes_a_name_rejects_traversal(web: TestClient, payload: str) -> None:
    routes = [r for r in _get_routes(web.app) if "{" in r.path]
    assert {"/static/{name}", "/compare/{name}", "/stories/{name}"} <= {r.path for r in routes}
    for route in routes:
        for i in range(route.path.count("{")):  # each name in turn, the others harmless
            parts = re.split(r"(\{[^}]+\})", route.path)
            n = -1
            for j, part in enumerate(parts):
                if part.startswith("{"):
                    n += 1
                    parts[j] = payload if n == i else ("report.json" if "export" in part else "ferry")
            path = "".join(parts)
            r = web.get(path, follow_redirects=True)
            final = r.url.path
            if r.status_code == 200:  # the client or a slash redirect folded the dots away: a page, never a file
                assert final.rstrip("/") in ("/compare", "/stories"), (path, final)
            else:
                assert r.status_code in (400, 404), (path, r.status_code)
            assert "root:" not in r.text and "create_app" not in r.text and "[fonts]" not in r.text, path


def test_uploads_are_capped(web: TestClient) -> None:
    big = b"word " * (uploads.MAX_FILE_BYTES // 5 + 10)
    text = [f"{a.title}\n\n{a.body}" for a in (CALM, CALM)]
    r = web.post("/compare", files=[("files", ("big.txt", big, "text/plain"))], data={"text": text})
    assert "big.txt: over the 2.0 MB limit per file" in r.text
    r = web.post("/compare", files=[("files", ("huge.txt", b"x" * (uploads.MAX_REQUEST_BYTES + 1), "text/plain"))],
                 follow_redirects=False)
    assert r.status_code == 413
    many = [CALM.body] * (uploads.MAX_SOURCES + 1)
    r = web.post("/compare", data={"text": many}, follow_redirects=False)
    assert r.status_code == 400 and f"the limit is {uploads.MAX_SOURCES}" in r.text


def test_serve_binds_loopback_by_default() -> None:
    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"
    foreign = TestClient(create_app(None, options=FAST), base_url="http://evil.example")
    assert foreign.get("/compare").status_code == 400  # and answers loopback Host headers only


# --- no eval, exec or pickle of input anywhere in src (static scan) ------------------------------------

BANNED_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "input"}
BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
BANNED_ATTRS = {("os", "system"), ("os", "popen"), ("yaml", "load"), ("yaml", "unsafe_load"),
                ("pd", "read_pickle"), ("pandas", "read_pickle"), ("torch", "load")}


def scan(source: str, name: str) -> list[str]:
    """Findings in one module: eval-like calls, unpickling modules, shells, unsafe loaders."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} import {a.name}" for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BANNED_MODULES:
            found.append(f"{where} from {node.module} import")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in BANNED_CALLS:
                found.append(f"{where} {f.id}()")
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in BANNED_ATTRS:
                found.append(f"{where} {f.value.id}.{f.attr}()")
            for kw in node.keywords:
                if kw.arg in ("shell", "allow_pickle") and isinstance(kw.value, ast.Constant) and kw.value.value:
                    found.append(f"{where} {kw.arg}=True")
    return found


def test_the_scanner_finds_what_it_looks_for() -> None:
    planted = ("import pickle\nfrom marshal import loads\neval(x)\nexec(y)\nos.system(z)\n"
               "subprocess.run(c, shell=True)\nnp.load(p, allow_pickle=True)\nyaml.load(s)\n")
    assert len(scan(planted, "planted.py")) == 8


def test_no_eval_exec_or_pickle_in_src() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 50
    findings = [f for path in files for f in scan(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))]
    assert findings == []


# --- files: the store path and the files the user names never come from article content -----------------


def test_article_content_never_names_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("STORYDIFF_DB", raising=False)
    monkeypatch.setattr("storydiff.ingest.pipeline.default_placer", lambda store: KeywordPlacer())
    evil = [f"../{EVIL_NAME}", f"/tmp/{EVIL_NAME}", f"..\\..\\{EVIL_NAME}", f"{EVIL_NAME}.duckdb"]
    records = [{"id": e, "url": f"file:///{e}", "outlet": e, "title": f"Ferry {e}", "source": e,
                "text": f"The ferry to {e} was halted on Monday after an engine fire, the port said.\n\n"
                        f"Passengers were brought ashore from {e} safely, the operator said."} for e in evil]
    (work / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    (work / "a.txt").write_text(f"{EVIL_NAME}\n\n{CALM.body}", encoding="utf-8")
    (work / "b.json").write_text(json.dumps({"id": f"../../{EVIL_NAME}", "title": evil[1], "text": HOSTILE.body}))
    before = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}

    assert main(["ingest", "feed.jsonl", "--workers", "1", "--no-progress"]) == 0
    assert main(["stories"]) == 0
    assert main(["story", "ferry", "--format", "html", "--output", "story.html", "--no-model",
                 "--embedder", "hashing"]) == 0
    assert main(["export", "out"]) == 0
    assert main(["compare", "a.txt", "b.json", "--no-model", "--embedder", "hashing", "--output", "r.md",
                 "--format", "markdown"]) == 0
    assert main(["extract", "a.txt", "b.json", "--format", "json"]) == 0
    capsys.readouterr()

    created = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")} - before
    names = {str(p) for p in created}
    assert not [n for n in names if EVIL_NAME in n], names
    assert not Path(f"/tmp/{EVIL_NAME}").exists() and not (tmp_path / EVIL_NAME).exists()
    expected = {"work/storydiff.duckdb", "work/story.html", "work/r.md", "work/out"}
    assert expected <= names
    assert all(n in expected or n.startswith(("work/out/", "work/storydiff.duckdb")) for n in names), names


@pytest.mark.parametrize("query", ["'; DROP TABLE articles; --", "%' OR 1=1 --", "\\", "ferry' UNION SELECT 1 --"])
def test_search_text_reaches_sql_only_as_data(hostile_store: Path, query: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--db", str(hostile_store), "--search", query, "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == ""  # no story matches, nothing was run
    assert main(["stories", "--db", str(hostile_store), "--format", "json"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["ferry"]
