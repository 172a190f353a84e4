"""`dangjian export certificates`: every scored member's 履责证 of a year, one printable file each, read as the
branch secretary would; the folder is the editor's (nothing of theirs replaced or deleted)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result

from reading import tables
from dangjian.cli import main

NOTE = "- member: m-east-a\n  date: 2026-03-02\n  title: 帮邻居修水管\n  text: 周末帮独居的邻居换了水龙头。\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def root(registry) -> Path:
    return registry({"registry/points/notes/east.yaml": NOTE})


def export(root: Path, out: Path, org: str = "town", year: str = "2026") -> Result:
    return run("export", "certificates", "--root", root, "--org", org, "--year", year, "--out", out)


def read(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def by_label(soup: BeautifulSoup) -> dict:
    return {t.label: t for t in tables(soup)}


def test_every_scored_member_below_the_org_gets_a_certificate(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = export(root, out)
    assert result.exit_code == 0, result.output
    # m-east-b is an 入党积极分子: no score, no certificate; m-east-a is private: the certificate is theirs
    assert sorted(p.name for p in out.iterdir()) == [
        "all.html",
        "index.html",
        "m-east-a.html",
        "m-east-sec.html",
        "m-west-sec.html",
    ]
    index = by_label(read(out / "index.html"))["履责证"].rows
    assert [(r["所在组织"], r["文件"]) for r in index] == [
        ("东村党支部", "m-east-a.html"),
        ("东村党支部", "m-east-sec.html"),
        ("西村党支部", "m-west-sec.html"),
    ]
    assert len(read(out / "all.html").select("article.sheet")) == 3
    export(root, tmp_path / "east", org="east")
    assert sorted(p.name for p in (tmp_path / "east").glob("m-*.html")) == ["m-east-a.html", "m-east-sec.html"]


def test_a_certificate_reads_as_the_members_year(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(root, out)
    page = read(out / "m-east-a.html")
    found = by_label(page)
    assert found["党员信息"].facts["所在组织"] == "东村党支部"
    # By hand: base 60, the activity on 2026-01-10 (+2), absent on 2026-02-01 (-5): 57, 1 star
    assert found["年度得分"].facts["年度得分"].startswith("57 分")
    assert found["年度得分"].facts["星级"].endswith("1 星")
    rules = {r["积分规则"]: r for r in found["各项积分"].rows}
    assert (rules["参加活动"]["次数"], rules["参加活动"]["计入"]) == ("1", "2")
    assert (rules["无故缺席"]["每次"], rules["无故缺席"]["年度上限"], rules["无故缺席"]["计入"]) == ("-5", "不限", "-5")
    events = found["积分事项"].rows
    assert {"日期": "2026-02-01", "事项": "无故缺席", "分数": "-5", "说明": "缺席一次"} in events  # the ledger's note
    assert {"日期": "2026-01-10", "事项": "参加活动：集中学习", "分数": "2", "说明": ""} in events
    journal = page.select(".journal li")
    assert len(journal) == 1 and "帮邻居修水管" in journal[0].get_text() and "换了水龙头" in journal[0].get_text()
    assert "党员本人签名" in page.select_one(".signatures").get_text()


def test_a_certificate_is_self_contained_and_escapes_what_the_registry_says(registry, tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script><img src=http://example.org/x.png>"
    root = registry(
        {"registry/points/notes/east.yaml": f"- member: m-east-sec\n  date: 2026-03-02\n  text: '{hostile}'\n"}
    )
    out = tmp_path / "out"
    assert export(root, out).exit_code == 0
    for path in out.iterdir():
        page = read(path)
        assert page.find("script") is None and page.find("img") is None and page.find("link") is None
        attributes = [str(v) for tag in page.find_all(True) for v in tag.attrs.values()]
        assert not [v for v in attributes if "://" in v], path.name  # nothing loaded from elsewhere
        style = "".join(tag.get_text() for tag in page.find_all("style"))
        assert "url(" not in style and "@import" not in style
    assert hostile in read(out / "m-east-sec.html").select_one(".journal").get_text()


def test_a_file_dangjian_did_not_write_is_never_replaced(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("<p>支部自己的目录</p>", encoding="utf-8")
    result = export(root, out)
    assert result.exit_code == 2 and "不是 dangjian 导出的履责证" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]  # checked before anything was written
    assert (out / "index.html").read_text(encoding="utf-8") == "<p>支部自己的目录</p>"


def test_exporting_again_replaces_its_own_files_and_deletes_nothing(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(root, out)
    (out / "签收表.xlsx").write_bytes(b"the secretary's own")
    (out / "m-old-member.html").write_text("<!DOCTYPE html>\n<!-- dangjian export certificates -->\n", encoding="utf-8")
    before = (out / "m-east-sec.html").stat().st_ino
    result = export(root, out)
    assert result.exit_code == 0, result.output
    assert (out / "签收表.xlsx").read_bytes() == b"the secretary's own"
    assert (out / "m-old-member.html").exists()  # a certificate of an earlier export: kept, never deleted
    assert (out / "m-east-sec.html").stat().st_ino != before  # replaced whole (renamed into place)


def test_links_are_refused(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "linked").symlink_to(target)
    result = export(root, tmp_path / "linked")
    assert result.exit_code == 2 and "符号链接" in result.output and list(target.iterdir()) == []
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    os.symlink(victim, out / "m-east-sec.html")
    result = export(root, out)
    assert result.exit_code == 2 and victim.read_text(encoding="utf-8") == "keep"


def test_usage_problems(root: Path, tmp_path: Path) -> None:
    missing = run("export", "certificates", "--root", root, "--org", "town", "--out", tmp_path / "o")
    assert missing.exit_code == 2 and "--year" in missing.output
    assert export(root, tmp_path / "o", org="nowhere").exit_code == 1
    nobody = export(root, tmp_path / "o", year="1950")
    assert nobody.exit_code == 1 and "没有计分的党员" in nobody.output and not (tmp_path / "o").exists()


def test_a_registry_with_problems_prints_nothing(registry, tmp_path: Path) -> None:
    broken = registry({"registry/points/notes/east.yaml": "- member: m-east-b\n  date: 2026-03-01\n  text: 手记\n"})
    result = export(broken, tmp_path / "b")
    assert result.exit_code == 1 and "dangjian validate" in result.output and not (tmp_path / "b").exists()


def test_never_into_what_gets_published(root: Path, tmp_path: Path) -> None:
    """Certificates name private members: never into the registry's own folders (committed, built into the
    site) nor into a built site's folder (uploaded as it is)."""
    from site_helpers import build_site

    for inside in (root / "content/assets/certs", root / "registry/points/certs"):
        result = export(root, inside)
        assert result.exit_code == 2 and "公开" in result.output and not inside.exists(), inside
    site = build_site(root, tmp_path / "site")
    result = export(root, site / "certs")
    assert result.exit_code == 2 and "网站" in result.output and not (site / "certs").exists()


def test_a_year_places_each_member_by_the_rolls_of_its_end(registry):
    """Issue 20: a member who left in June is on the certificates of the org they left, one who moved from west
    to east on 1 March is on east's (the year's end) and on west's the year before, and nobody appears twice."""
    from dangjian.duty import DutyBook
    from dangjian.editing.certificates import members_of
    from dangjian.validate import validate

    root = registry()
    east = root / "registry/members/east.yaml"
    text = east.read_text(encoding="utf-8")
    end = text.index("- id: m-east-b")
    east.write_text(text[:end] + "  history:\n    - date: 2026-06-15\n      left: 转出\n" + text[end:], "utf-8")
    west = root / "registry/members/west.yaml"
    moved = "  history:\n    - date: 1988-05-04\n      org: west\n    - date: 2026-03-01\n      org: east\n"
    west.write_text(west.read_text(encoding="utf-8").replace("org: west", "org: east") + moved, encoding="utf-8")
    result = validate(root)
    assert result.problems == [], [f"{p.file}:{p.line} {p.message}" for p in result.problems]
    duties = DutyBook(result.registry)
    assert "m-east-a" in members_of(result.registry, "east", duties, 2026)  # left in June: east's
    assert "m-west-sec" in members_of(result.registry, "east", duties, 2026)  # moved in March: east's
    assert "m-west-sec" not in members_of(result.registry, "west", duties, 2026)
    assert "m-west-sec" in members_of(result.registry, "west", duties, 2025)  # still west's in 2025
    town = members_of(result.registry, "town", duties, 2026)
    assert len(town) == len(set(town)) and {"m-east-a", "m-west-sec"} <= set(town)
