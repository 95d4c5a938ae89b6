"""The web UI in a real browser: Debian's chromium driven by Playwright (never `playwright install`).

The app runs under uvicorn on 127.0.0.1 in a thread; screenshots go to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
EXAMPLES = ROOT / "examples" / "harbour-fire"
HOSTILE = ('Hostile upload\n\nThe council met on Monday <script>window.pwned = 1; alert(1)</script> and approved '
           'the budget of 5 million. <img src=x onerror="window.pwned = 2; alert(2)"> '
           '<a href="javascript:window.pwned=3">click here</a> for more.\n\n'
           '<svg onload="window.pwned=4"></svg> The mayor said the vote was close.')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _corpus_store(path: Path, corpus: Path) -> None:
    """A store holding the reference pair as one story, plus two small stories around it."""
    from storydiff.ingest.readers import read_article
    from storydiff.model import Article
    from storydiff.store import Batch, Store, StoredArticle

    ind = replace(read_article(corpus / "independent.txt"), outlet="The Independent", published="2022-03-01")
    mt = replace(read_article(corpus / "retranslated.txt"), outlet="Retranslated copy", published="2022-03-02")
    other = [StoredArticle(Article(id=f"x{i}", title=f"Harbour opens new quay {i}", outlet="Port News",
                                   body=f"The harbour opened quay number {i} on Friday.", published="2021-05-0{i}"),
                           story_id=f"quay-{i}") for i in (1, 2)]
    Store(str(path)).write(Batch(articles=[StoredArticle(ind, story_id="kuleba-wang"),
                                           StoredArticle(mt, story_id="kuleba-wang"), *other]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[str]:
    from storydiff.analyze import AnalyzeOptions
    from storydiff.comparison.pipeline import CompareOptions
    from storydiff.web.app import create_app

    db = tmp_path_factory.mktemp("web") / "corpus.duckdb"
    _corpus_store(db, corpus_dir)
    app = create_app(str(db), options=CompareOptions(embedder="hashing", analyze=AnalyzeOptions(use_model=False)))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (make system-deps)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page that records script errors, dialogs and any request leaving 127.0.0.1."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.events = {"dialogs": [], "errors": [], "external": []}  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.events["dialogs"].append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.events["errors"].append(str(e)))

    def route(r: Any) -> None:
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            pg.events["external"].append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield pg
    assert pg.events["errors"] == [], pg.events["errors"]
    assert pg.events["external"] == [], f"requests left the machine: {pg.events['external']}"
    ctx.close()


def _hover_lights_partner(pg: Any) -> None:
    """Hover the first aligned sentence of the first column; a sentence of another column lights up."""
    first = pg.locator(".col").nth(0).locator(".s[data-al]").first
    al = first.get_attribute("data-al")
    first.hover()
    partner = pg.locator(f'.col:not(:first-child) .s[data-al="{al}"]').first
    sync_api.expect(partner).to_have_class(__import__("re").compile(r"\bhl\b"))
    sync_api.expect(first).to_have_class(__import__("re").compile(r"\bhl-self\b"))


def test_stories_search_and_story_page(page: Any, server: str) -> None:
    page.goto(server + "/")
    assert page.url.endswith("/stories")
    assert page.locator("ol.stories > li").count() == 3
    page.fill("input[name=q]", "Kuleba")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/stories?q=Kuleba*")
    assert page.locator("ol.stories > li").count() == 1
    page.screenshot(path=str(ARTIFACTS / "stories-search.png"), full_page=True)
    page.click("ol.stories a")
    page.wait_for_url("**/stories/kuleba-wang")
    assert page.locator(".col").count() == 2
    assert "The Independent" in page.locator(".col").nth(0).inner_text()
    _hover_lights_partner(page)
    assert page.locator(".s.unique").count() > 0
    assert "Kuleba" in page.locator("table.entities").inner_text()
    page.screenshot(path=str(ARTIFACTS / "story-kuleba-wang.png"), full_page=True)


def test_compare_uploads_two_files(page: Any, server: str) -> None:
    page.goto(server + "/compare")
    page.set_input_files("#files", [str(EXAMPLES / "valley-times.txt"), str(EXAMPLES / "coastal-herald.html")])
    page.click("button[type=submit]")
    page.wait_for_url("**/compare/*")
    assert page.locator(".col").count() == 2
    _hover_lights_partner(page)
    assert page.locator(".diff").count() >= 1  # 14 vs 12 injured
    page.screenshot(path=str(ARTIFACTS / "compare-harbour-fire.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("text=Markdown")
    assert dl.value.suggested_filename.endswith(".md")
    # phone width: one column, nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "compare-phone.png"), full_page=False)


def test_keyboard_alone(page: Any, server: str) -> None:
    page.goto(server + "/compare")
    page.set_input_files("#files", [str(EXAMPLES / "valley-times.txt"), str(EXAMPLES / "nordwire-mt.json")])
    page.focus("button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/compare/*")
    for _ in range(40):  # Tab through links and buttons to the first sentence
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.s[data-al]')"):
            break
    else:
        pytest.fail("Tab never reached an aligned sentence")
    al = page.evaluate("document.activeElement.dataset.al")
    assert page.locator(f'.s.hl[data-al="{al}"]').count() >= 1
    page.keyboard.press("Enter")  # jumps to the partner in the other column
    assert page.evaluate("document.activeElement.closest('.col') !== document.querySelector('.col')")
    page.screenshot(path=str(ARTIFACTS / "compare-keyboard.png"))


def test_hostile_text_never_runs(page: Any, server: str, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    record = tmp_path / "hostile.json"
    record.write_text('{"outlet": "<script>window.pwned=5</script>", "url": "javascript:window.pwned=6", '
                      '"title": "<img src=x onerror=window.pwned=7>", "text": "The council met on Monday and '
                      'approved the budget. <b onmouseover=window.pwned=8>bold</b>"}', encoding="utf-8")
    long_line = tmp_path / "long-line.txt"
    long_line.write_text("One line\n\n" + ("<script>window.pwned=9</script> word " * 30_000)[:1_000_000],
                         encoding="utf-8")
    page.goto(server + "/compare")
    page.set_input_files("#files", [str(hostile), str(record), str(long_line)])
    page.click("button[type=submit]")
    page.wait_for_url("**/compare/*", timeout=120_000)
    assert page.locator(".col").count() == 3
    body = page.locator("main").inner_text()
    assert "<script>window.pwned = 1; alert(1)</script>" in body  # shown as text
    assert "onerror=" in body
    page.locator(".s").first.hover()
    page.locator(".col .s").nth(1).hover()
    assert page.evaluate("window.pwned") is None
    assert page.events["dialogs"] == []
    assert page.locator("main a[href^='javascript:']").count() == 0
    assert page.locator("main script, main img, main svg").count() == 0
    page.screenshot(path=str(ARTIFACTS / "compare-hostile.png"))


def test_upload_cap_message(page: Any, server: str, tmp_path: Path) -> None:
    from storydiff.web.uploads import MAX_FILE_BYTES

    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * (MAX_FILE_BYTES // 5 + 1))
    small = tmp_path / "small.txt"
    small.write_text("Budget news\n\nThe council approved the budget on Monday.", encoding="utf-8")
    page.goto(server + "/compare")
    page.set_input_files("#files", [str(big), str(small)])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "big.txt: over the 2.0 MB limit per file" in page.locator("[role=alert]").inner_text()
