"""The web UI through Starlette's TestClient: pages, JSON twins, exports, caps, escaping, path checks, stories."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from tests._fixtures import GAZETTE, HERALD  # noqa: E402

from storydiff.analyze import AnalyzeOptions  # noqa: E402
from storydiff.comparison.pipeline import CompareOptions  # noqa: E402
from storydiff.model import Article  # noqa: E402
from storydiff.web import uploads  # noqa: E402
from storydiff.web.app import create_app  # noqa: E402

LOCAL = "http://127.0.0.1"  # the app answers loopback Host headers only
FAST = CompareOptions(embedder="hashing", analyze=AnalyzeOptions(use_model=False))
HOSTILE = ('Council "approves" budget\n\nThe council met on Monday <script>window.pwned=1</script> and approved '
           'the budget of 5 million. <img src=x onerror="window.pwned=2"> <a href="javascript:alert(1)">click</a> here.\n\n'
           'The mayor said the vote was close.')
CALM = "Budget approved\n\nThe council met on Monday and approved the budget of 5 million.\n\nThe vote was close, the mayor said."


def _text(art: Article) -> str:
    return f"{art.title}\n\n{art.body}"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(None, options=FAST), base_url=LOCAL)


def _compare(client: TestClient, *texts: str, files=None):  # type: ignore[no-untyped-def]
    data = {"text": list(texts), "outlet": [f"Outlet {i + 1}" for i in range(len(texts))],
            "published": [f"2030-04-{10 + i}" for i in range(len(texts))]}
    return client.post("/compare", data=data, files=files, follow_redirects=False)


def test_every_response_forbids_inline_script(client: TestClient) -> None:
    for path in ("/compare", "/compare.json", "/static/storydiff.css", "/nope", "/stories"):
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "default-src 'none'" in csp


def test_compare_form_and_its_json(client: TestClient) -> None:
    page = client.get("/compare")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "<script" not in page.text.replace('<script src="/static/storydiff.js', "")
    data = client.get("/compare.json").json()
    assert data["page"] == "compare" and data["limits"]["sources"] == uploads.MAX_SOURCES


def test_pasted_reports_give_the_side_by_side_view(client: TestClient) -> None:
    r = _compare(client, _text(HERALD), _text(GAZETTE))
    assert r.status_code == 303
    url = r.headers["location"]
    assert re.fullmatch(r"/compare/[0-9a-f]{24}", url)
    page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('class="col"') == 2
    assert re.search(r'class="s (same|variant|contradiction)" tabindex="0" data-al="a\d+"', page.text)
    assert 'class="s unique" tabindex="0"' in page.text  # bakers and the governor are in one report only
    assert "Who published when" in page.text and "People, places and organisations" in page.text
    data = client.get(url + ".json").json()
    assert [c["label"] for c in data["columns"]] == ["Outlet 1", "Outlet 2"]
    assert any(d["type"] == "number" for d in data["differences"])  # nine vs eleven injured
    assert {"json", "markdown", "html"} == set(data["exports"])
    assert [(t["label"], t["lag"]) for t in data["timeline"]] == [("Outlet 1", "first"), ("Outlet 2", "+24 h")]


def test_exports(client: TestClient) -> None:
    url = _compare(client, _text(HERALD), _text(GAZETTE)).headers["location"]
    j = client.get(url + "/report.json")
    assert j.status_code == 200 and j.json()["schema"] == "storydiff.report"
    assert "attachment" in j.headers["content-disposition"]
    md = client.get(url + "/report.md")
    assert md.headers["content-type"].startswith("text/markdown") and "Lindqvist" in md.text
    html = client.get(url + "/report.html")
    assert html.text.startswith("<!doctype html>") and "script-src" not in html.headers["content-security-policy"]
    assert client.get(url + "/report.exe").status_code == 404


def test_hostile_text_is_escaped(client: TestClient) -> None:
    url = _compare(client, HOSTILE, CALM).headers["location"]
    page = client.get(url).text
    assert "<script>window.pwned" not in page and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "<img" not in page and 'href="javascript:' not in page
    assert len(re.findall(r"<script\b", page)) == 1  # our own, from /static


def test_uploaded_files_html_text_json(client: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = [
        ("files", ("herald.txt", _text(HERALD).encode(), "text/plain")),
        ("files", ("gazette.json", ('{"outlet": "Gazette", "title": "Lindqvist bridge falls", "text": '
                                    + __import__("json").dumps(GAZETTE.body) + "}").encode(), "application/json")),
        ("files", ("../../etc/passwd.exe", b"root:x:0:0", "text/plain")),
    ]
    r = client.post("/compare", files=files, data={"text": ""}, follow_redirects=False)
    assert r.status_code == 303
    data = client.get(r.headers["location"] + ".json").json()
    assert {c["label"] for c in data["columns"]} == {"herald", "Gazette"}
    assert any("passwd.exe: unknown file type" in w for w in data["warnings"])  # named, without the path


def test_too_few_reports_and_bad_inputs_say_why(client: TestClient) -> None:
    r = _compare(client, _text(HERALD), "", "")
    assert r.status_code == 400 and "at least two reports" in r.text
    assert _text(HERALD)[:30] in r.text  # the pasted text comes back in the form
    r = client.post("/compare", data={"text": [CALM], "published": ["yesterday"]}, follow_redirects=False)
    assert "is not an ISO date" in r.text
    r = client.post("/compare", data={"text": [CALM], "published": ["2024-02-30"]}, follow_redirects=False)
    assert "is not an ISO date" in r.text


def test_uploads_are_capped_with_a_clear_message(client: TestClient) -> None:
    big = b"word " * (uploads.MAX_FILE_BYTES // 5 + 10)
    r = client.post("/compare", files=[("files", ("big.txt", big, "text/plain"))], data={"text": [CALM, CALM]})
    assert "big.txt: over the 2.0 MB limit per file" in r.text  # named among the warnings; the rest compared
    huge = b"x" * (uploads.MAX_REQUEST_BYTES + 1)
    r = client.post("/compare", files=[("files", ("huge.txt", huge, "text/plain"))], follow_redirects=False)
    assert r.status_code == 413 and "the limit is 10.0 MB per request" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", [
    "/compare/..%2F..%2Fetc%2Fpasswd", "/compare/../../etc/passwd", "/compare/%2e%2e", "/compare/abc/..%2Freport.json",
    "/static/..%2Fapp.py", "/static/../app.py", "/static/%2e%2e%2fapp.py", "/stories/..%2Fx", "/compare/a%00b",
])
def test_path_traversal_is_rejected(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "create_app" not in r.text and "root:" not in r.text


def test_other_hosts_and_cross_site_posts_are_refused(client: TestClient) -> None:
    assert client.get("/compare", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding
    assert client.get("http://localhost/compare").status_code == 200
    r = client.post("/compare", data={"text": [CALM, CALM]}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "may not submit" in r.text
    anywhere = TestClient(create_app(None, options=FAST, allowed_hosts=None))
    assert anywhere.get("/compare").status_code == 200  # `serve --host 0.0.0.0`


def test_long_single_line_is_cut_for_analysis() -> None:
    art = Article(id="x", body="word " * 100_000)
    cut = uploads.cut_long_paragraphs(art)
    assert max(len(p) for p in cut.paragraphs) <= uploads.MAX_PARAGRAPH_CHARS
    assert cut.body.split() == art.body.split()


def test_stories_need_a_store(client: TestClient) -> None:
    r = client.get("/stories")
    assert r.status_code == 404 and "storydiff serve --db" in r.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/compare"


# --- stories over a real store ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_client(tmp_path_factory) -> TestClient:  # type: ignore[no-untyped-def]
    from storydiff.store import Batch, Store, StoredArticle

    path = str(tmp_path_factory.mktemp("store") / "web.duckdb")
    store = Store(path)
    items = [
        StoredArticle(replace(HERALD, outlet="Herald", language="en"), story_id="bridge"),
        StoredArticle(replace(GAZETTE, outlet="Gazette", language="en"), story_id="bridge"),
        StoredArticle(replace(HERALD, id="herald-copy", outlet="Copycat"), story_id="bridge", duplicate_of="herald"),
        StoredArticle(Article(id="old", title="Old harbour news", body="The harbour opened in 1901.", outlet="Herald",
                              published="2029-01-01", language="de"), story_id="harbour"),
    ]
    items += [StoredArticle(Article(id=f"n{i}", title=f"Filler story {i}", body=f"Filler body {i}.",
                                    outlet="Filler", published=f"2028-01-{i + 1:02d}"), story_id=f"filler-{i}")
              for i in range(12)]
    store.write(Batch(articles=items))
    return TestClient(create_app(path, options=FAST), base_url=LOCAL)


def test_stories_newest_first_with_sizes(store_client: TestClient) -> None:
    data = store_client.get("/stories.json").json()
    assert data["total"] == 14
    first = data["stories"][0]
    assert first["id"] == "bridge" and first["articles"] == 3 and first["reports"] == 2
    assert first["outlet_names"] == ["Copycat", "Gazette", "Herald"]
    assert data["stories"][1]["id"] == "harbour"
    page = store_client.get("/stories").text
    assert 'href="/stories/bridge"' in page and 'role="search"' in page
    assert first["languages"] == ["en"] and data["stories"][1]["languages"] == ["de"]
    assert '<option value="de">German (de)</option>' in page


def test_story_page_shows_each_reports_language(store_client: TestClient) -> None:
    page = store_client.get("/stories/bridge").text
    assert "<th scope=\"col\">language</th>" in page and ">English</td>" in page


def test_stories_search_filters_and_paging(store_client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert [s["id"] for s in store_client.get("/stories.json?q=corrosion").json()["stories"]] == ["bridge"]
    assert [s["id"] for s in store_client.get("/stories.json?q=1901").json()["stories"]] == ["harbour"]
    assert store_client.get("/stories.json?language=de").json()["total"] == 1
    assert store_client.get("/stories.json?outlet=filler&since=2028-01-05&until=2028-01-06").json()["total"] == 2
    bad = store_client.get("/stories.json?since=tomorrow").json()
    assert bad["errors"] and bad["total"] == 14
    assert len(store_client.get("/stories.json?since=2024-13-45&until=2024-02-30").json()["errors"]) == 2
    assert store_client.get("/stories?page=-3&page=x").status_code == 200
    monkeypatch.setattr("storydiff.web.app.PER_PAGE", 5)
    p1 = store_client.get("/stories.json?q=").json()  # a URL not cached before the patch
    assert p1["pages"] == 3 and p1["links"]["next"] == "/stories?page=2" and not p1["links"]["prev"]
    assert len(p1["stories"]) == 5
    p3 = store_client.get("/stories.json?page=3&outlet=").json()
    assert len(p3["stories"]) == 4 and p3["links"]["prev"] == "/stories?page=2"
    f3 = store_client.get("/stories.json?outlet=FILLER&q=body+filler&page=3").json()
    assert f3["total"] == 12 and [s["id"] for s in f3["stories"]] == ["filler-1", "filler-0"]


def test_story_page_compares_independent_reports(store_client: TestClient) -> None:
    data = store_client.get("/stories/bridge.json").json()
    assert [c["label"] for c in data["columns"]] == ["Herald", "Gazette"]
    assert any("1 copies" in w for w in data["warnings"])
    assert data["exports"]["json"] == "/stories/bridge/report.json"
    assert store_client.get("/stories/bridge/report.md").status_code == 200
    single = store_client.get("/stories/harbour")
    assert single.status_code == 200 and "single independent report" in single.text
    assert store_client.get("/stories/nothing-here").status_code == 404


def test_pages_follow_the_store_when_it_changes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from storydiff.store import Batch, Store, StoredArticle
    from storydiff.web import stories

    path = str(tmp_path / "live.duckdb")
    Store(path).write(Batch(articles=[StoredArticle(HERALD, story_id="one")]))
    client = TestClient(create_app(path, options=FAST), base_url=LOCAL)
    assert client.get("/stories.json").json()["total"] == 1
    Store(path).write(Batch(articles=[StoredArticle(GAZETTE, story_id="two")]))
    os.utime(path)  # a new mtime even on coarse-clock file systems
    old = stories.REFRESH_CHECK_S, stories.SNAPSHOT_SHARE
    stories.REFRESH_CHECK_S, stories.SNAPSHOT_SHARE = 0.0, 0.0
    try:
        assert client.get("/stories.json").json()["total"] == 2
    finally:
        stories.REFRESH_CHECK_S, stories.SNAPSHOT_SHARE = old


def test_serve_defaults_to_loopback() -> None:
    from storydiff.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.db is None and args.port > 0


def test_serve_prints_the_url_and_stops_on_ctrl_c() -> None:
    import signal
    import subprocess
    import sys
    import time

    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "storydiff", "serve", "--port", "0", "--no-model",
                             "--embedder", "hashing"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        assert httpx.get(url.group(0) + "compare").status_code == 200
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.returncode == 0
        assert "stopped" in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()


class FakeStories:
    """A StoryProvider in memory: the Stories pages need nothing else."""

    def __init__(self) -> None:
        self.stories = {"bridge": [HERALD, GAZETTE]}

    def list_stories(self, flt, *, limit, offset):  # type: ignore[no-untyped-def]
        rows = [{"id": k, "title": v[0].title, "first_seen": v[0].published or "", "last_seen": "",
                 "articles": len(v), "reports": len(v), "outlets": len(v), "outlet_names": []}
                for k, v in self.stories.items() if flt.q.lower() in " ".join(a.body.lower() for a in v)]
        return rows[offset: offset + limit], len(rows)

    def story(self, story_id):  # type: ignore[no-untyped-def]
        arts = self.stories.get(story_id)
        return {"id": story_id, "title": arts[0].title, "first_seen": "", "last_seen": "", "articles": len(arts),
                "reports": len(arts), "outlets": len(arts)} if arts else None

    def story_articles(self, story_id):  # type: ignore[no-untyped-def]
        return list(self.stories[story_id]), 0

    def facets(self):  # type: ignore[no-untyped-def]
        return {"outlets": [], "languages": []}


def test_any_story_provider_serves_the_stories_pages() -> None:
    fake = FakeStories()
    client = TestClient(create_app(stories=fake, options=FAST), base_url=LOCAL)
    assert [s["id"] for s in client.get("/stories.json?q=cable").json()["stories"]] == ["bridge"]
    assert client.get("/stories.json?q=zebra").json()["total"] == 0
    first = client.get("/stories/bridge.json").json()
    assert len(first["columns"]) == 2
    fake.stories["bridge"] = [HERALD, GAZETTE, replace(HERALD, id="third", outlet="Third")]
    assert len(client.get("/stories/bridge.json").json()["columns"]) == 3  # no snapshot: never stale


def test_an_unexpected_error_is_a_500_with_the_security_headers() -> None:
    class Broken(FakeStories):
        def facets(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom <script>")

    client = TestClient(create_app(stories=Broken(), options=FAST), base_url=LOCAL, raise_server_exceptions=False)
    r = client.get("/stories")
    assert r.status_code == 500 and "<script>" not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_an_in_memory_store_is_read_live() -> None:
    from storydiff.store import Batch, Store, StoredArticle
    from storydiff.web.stories import StoreStories

    store = Store(":memory:")
    store.write(Batch(articles=[StoredArticle(replace(HERALD, outlet="Herald"), story_id="bridge"),
                                StoredArticle(replace(GAZETTE, outlet="Gazette"), story_id="bridge")]))
    client = TestClient(create_app(stories=StoreStories(store), options=FAST), base_url=LOCAL)
    data = client.get("/stories.json?q=rust&outlet=gaz").json()
    assert data["total"] == 1 and data["stories"][0]["outlet_names"] == ["Gazette", "Herald"]
    assert len(client.get("/stories/bridge.json").json()["columns"]) == 2
