"""The user's outlets file and coverage of a story by its labels."""

from __future__ import annotations

import pytest

from _webserver import FIXTURES
from storydiff.errors import InputError
from storydiff.model import Article
from storydiff.outlets import Outlets, load_outlets


@pytest.mark.parametrize("name", ["outlets.toml", "outlets.csv"])
def test_toml_and_csv_describe_the_same_outlets(name):
    outlets = load_outlets(FIXTURES / name)
    assert [o.name for o in outlets.outlets] == ["The Vessby Lantern", "The Sarn Courier", "Sarn Valley Post"]
    courier = outlets.outlets[1]
    assert courier.domains == ("courier.example", "sarn-courier.example")
    assert courier.value("lean") == "right" and courier.value("country") == "SE"
    assert outlets.keys() == ["country", "language", "lean", "owner"]


def test_match_by_domain_subdomain_and_name():
    outlets = load_outlets(FIXTURES / "outlets.toml")
    assert outlets.match(url="https://www.sarn-courier.example/a/1").name == "The Sarn Courier"
    assert outlets.match(url="https://news.lantern.example/x").name == "The Vessby Lantern"
    assert outlets.match(url="https://other.example/x", name="sarn valley post").name == "Sarn Valley Post"
    assert outlets.match(url="https://notlantern.example/x") is None


def test_coverage_by_label_names_who_reported_and_who_did_not():
    outlets = load_outlets(FIXTURES / "outlets.toml")
    reports = [Article(id="a", body="x", url="https://lantern.example/n/1"),
               Article(id="b", body="x", url="https://www.courier.example/n/2"),
               Article(id="c", body="x", outlet="Harbour Blog", url="https://blog.example/p")]
    cov = outlets.coverage(reports)
    by = {(g.key, g.value): g for g in cov.groups}
    assert by[("lean", "left")].reported == () and by[("lean", "left")].silent == ("Sarn Valley Post",)
    assert by[("country", "SE")].reported == ("The Vessby Lantern", "The Sarn Courier")
    assert cov.unlisted == ("Harbour Blog",)
    assert "lean=left: 0 of 1 reported (none; not Sarn Valley Post)" in cov.lines()
    assert cov.to_dict()["groups"][0]["key"] == "country"
    assert cov.summary() == ("country SE 2/2, NO 0/1 · language en 2/2, no 0/1 · lean centre 1/1, right 1/1, "
                             "left 0/1 · owner public trust 1/1, family 1/1 · not in the outlets file: Harbour Blog")


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "o.toml"
    bad.write_text('[[outlet]]\nname = "A"\nbias_score = 3\n')
    with pytest.raises(InputError, match=r"o.toml: outlet 1: unknown key 'bias_score'"):
        load_outlets(bad)
    bad.write_text('[[outlet]]\nname = "A"\ndomains = ["a.example"]\n[[outlet]]\nname = "B"\ndomains = ["a.example"]\n')
    with pytest.raises(InputError, match="domain 'a.example' belongs to both 'A' and 'B'"):
        load_outlets(bad)
    csv_file = tmp_path / "o.csv"
    csv_file.write_text("name,country\nA,SE,extra\n")
    with pytest.raises(InputError, match=r"o.csv:2: row has 3 cells"):
        load_outlets(csv_file)
    (tmp_path / "o.yaml").write_text("name: A\n")
    with pytest.raises(InputError, match="expected .toml or .csv"):
        load_outlets(tmp_path / "o.yaml")
    assert len(Outlets()) == 0


def test_coverage_command_reads_the_store(tmp_path, capsys):
    from storydiff.cli import main
    from storydiff.store import Batch, Store, StoredArticle

    db = tmp_path / "c.duckdb"
    store = Store(db)
    store.write(Batch([StoredArticle(Article(id="a1", body="Crane falls.", title="Crane falls",
                                             url="https://lantern.example/1"), story_id="s-crane"),
                       StoredArticle(Article(id="a2", body="Crane down.", title="Crane down",
                                             url="https://post.example/2"), story_id="s-crane")]))
    assert main(["coverage", "s-crane", "--outlets", str(FIXTURES / "outlets.toml"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("s-crane  Crane falls\n")
    assert "  lean=right: 0 of 1 reported (none; not The Sarn Courier)" in out
    assert main(["coverage", "--outlets", str(FIXTURES / "outlets.csv"), "--db", str(db), "-f", "json"]) == 0
    assert '"story": "s-crane"' in capsys.readouterr().out
