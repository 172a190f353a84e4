"""The Big List of Naughty Strings through every text field and a story: nothing executable reaches the site."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from site_helpers import build_site, text_files
from dangjian.personal import find_identifiers
from dangjian.text import INVISIBLE

DATA = Path(__file__).parent / "data"


def naughty() -> list[str]:
    """BLNS strings the validator lets through (it rejects invisible characters, blanks and identifiers)."""
    strings = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
    keep = []
    for s in strings:
        if not s.strip() or INVISIBLE.search(s) or "\r" in s or any(find_identifiers(s)) or "\u2028" in s:
            continue
        keep.append(s)
    return keep


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def test_naughty_strings_are_inert(registry, tmp_path):
    strings = naughty()
    assert len(strings) > 300
    root = registry()
    orgs, stories = [], []
    for n, s in enumerate(strings):
        orgs.append(
            {
                "id": f"n{n}",
                "name": s,
                "kind": "党小组",
                "parent": "east",
                "domain": "其他",
                "summary": s,
                "labels": [s],
            }
        )
        stories.append(
            f"---\n{_dump({'title': s, 'date': '2026-01-01', 'org': f'n{n}', 'tags': [s], 'source': s})}"
            f"---\n{s}\n\n* {s}\n\n[{s}]({s})\n"
        )
    for org in orgs:
        (root / f"registry/orgs/{org['id']}.yaml").write_text(_dump(org), encoding="utf-8")
    for n, text in enumerate(stories):
        (root / f"content/stories/n{n}.md").write_text(text, encoding="utf-8")
    brand = yaml.safe_load((root / "registry/brands/red.yaml").read_text(encoding="utf-8"))
    brand["methods"] = [{"name": s, "summary": s} for s in strings]
    brand["summary"] = "\n\n".join(strings)
    (root / "registry/brands/red.yaml").write_text(_dump(brand), encoding="utf-8")
    acts = [
        {"id": f"a{n}", "org": "east", "date": "2026-02-01", "kind": "其他", "title": s, "summary": s}
        for n, s in enumerate(strings)
    ]
    (root / "registry/activities/naughty.yaml").write_text(_dump(acts), encoding="utf-8")

    site = build_site(root, tmp_path / "site")
    baseline = build_site(registry_copy(root, tmp_path), tmp_path / "baseline")
    allowed_scripts = {script_key(s) for p in html_pages(baseline) for s in p.find_all("script")}
    checked = 0
    for soup in html_pages(site):
        checked += 1
        for script in soup.find_all("script"):
            assert script_key(script) in allowed_scripts, f"unexpected script: {str(script)[:200]}"
        for element in soup.find_all(True):
            for name, value in element.attrs.items():
                assert not name.lower().startswith("on"), f"event handler {name} on <{element.name}>"
                if name in ("href", "src", "action", "formaction"):
                    text = value if isinstance(value, str) else " ".join(value)
                    assert not re.match(r"\s*(javascript|data|vbscript):", text, re.I), f"{name}={text[:80]}"
        for tag in ("iframe", "object", "embed", "form", "style", "base", "meta"):
            for element in soup.select(f"[data-pagefind-body] {tag}"):
                if tag == "form" and element.has_attr("data-dj-filter"):
                    continue  # the project index's own filter
                raise AssertionError(f"<{tag}> inside the article: {str(element)[:200]}")
    assert checked > 2 * len(strings)


def html_pages(site: Path):
    from bs4 import BeautifulSoup

    for path in text_files(site):
        if path.suffix == ".html":
            yield BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def script_key(script) -> tuple:
    """A script as the theme writes it, independent of the page (relative paths differ by depth)."""
    src = script.get("src")
    if src:
        return ("src", src.lstrip("./"))
    text = script.string or ""
    return ("inline", re.sub(r'"(\.\./)*\.?/?', '"', text)[:60])


def registry_copy(root: Path, tmp_path: Path) -> Path:
    """The minimal registry without the naughty records, to learn which scripts the theme writes."""
    import shutil

    from conftest import MINIMAL

    clean = tmp_path / "clean"
    shutil.copytree(MINIMAL, clean)
    return clean


def test_a_text_the_last_build_rendered_is_given_back_as_rendered_without_the_converter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`render` keeps what a build rendered, by the text's digest, under this code's name (`markdown.keep`): the next
    process gives the same HTML back without making the converter; another text is rendered (and sanitized) afresh."""
    from dangjian.site import markdown as site_markdown

    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001 - a fresh process's
    text = "# 标题\n\n开展**结对**帮扶。<script>alert(1)</script>"
    first = site_markdown.render.__wrapped__(text)
    site_markdown.keep()
    monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001
    made: list[int] = []
    real = site_markdown._converter  # noqa: SLF001
    monkeypatch.setattr(site_markdown, "_converter", lambda: made.append(1) or real())
    assert site_markdown.render.__wrapped__(text) == first and made == []
    assert "<script>" not in first and "<h2>标题</h2>" in first
    other = site_markdown.render.__wrapped__("另一段<script>x</script>")
    assert made == [1] and "<script>" not in other


def test_a_text_rendered_builds_ago_is_kept_while_the_memo_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo keeps the texts rendered most recently, not only the last build's: a rebuild that renders other pages
    keeps the rest (an org page made again after a result edit found its summary gone, and made the converter: 0.03 s
    of a county rebuild's second). It is bounded (`MEMO_BYTES`): the least recently rendered go first."""
    from dangjian.site import markdown as site_markdown

    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))

    def build(*texts: str) -> list[str]:
        """A process rendering `texts`: those rendered afresh (the converter made for them)."""
        monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001
        made: list[str] = []
        for text in texts:
            before = dict(site_markdown._RENDERED.used)  # noqa: SLF001
            html = site_markdown.render.__wrapped__(text)
            digest = next(iter(set(site_markdown._RENDERED.used) - set(before)), None)  # noqa: SLF001
            if digest is not None and digest not in site_markdown._RENDERED.kept():  # noqa: SLF001
                made.append(text)
            assert "<script>" not in html
        site_markdown.keep()
        return made

    assert build("甲村简介<script>1</script>", "乙村简介") == ["甲村简介<script>1</script>", "乙村简介"]
    assert build("丙村简介") == ["丙村简介"]
    assert build("甲村简介<script>1</script>", "丙村简介") == []  # rendered two builds ago: kept
    monkeypatch.setattr(site_markdown, "MEMO_BYTES", 40)  # room for about two
    assert build("丁村简介", "戊村简介") == ["丁村简介", "戊村简介"]
    assert build("乙村简介") == ["乙村简介"]  # the least recently rendered went first
    assert build("戊村简介") == []


def test_the_texts_workers_render_are_kept_by_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's pages are rendered in forked workers when there are many: the texts they render reach the memo too
    (`markdown.rendered_since`, `adopt`), so the rebuild after a cold build finds every summary and story rendered."""
    import shutil

    from conftest import MINIMAL
    from dangjian.history import History
    from dangjian.site import build as site_build, markdown as site_markdown
    from dangjian.validate import validate

    root = tmp_path / "root"
    shutil.copytree(MINIMAL, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(site_build, "_PARALLEL_FROM", 2)  # the minimal registry's pages, in workers
    monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001 - a fresh process's
    site_markdown.render.cache_clear()
    site_build.build(root, tmp_path / "site", with_search=False, history=History.empty(), cold=True)
    monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001 - the next process's
    kept = site_markdown._RENDERED.kept()  # noqa: SLF001
    reg = validate(root).registry
    texts = [org["summary"] for org in reg.orgs.values() if org.get("summary")] + [s.body for s in reg.all("story")]
    assert texts
    for text in texts:
        assert hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest() in kept, text


def test_texts_adopted_from_renewed_workers_stop_at_the_memo_s_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build's rendering workers are renewed every few thousand pages, each giving the texts it rendered: the build
    takes them in the order given up to `MEMO_BYTES` (what `keep` would write), then none until its next keep."""
    from dangjian.site import markdown as site_markdown

    monkeypatch.setattr(site_markdown, "_RENDERED", site_markdown._Rendered())  # noqa: SLF001
    monkeypatch.setattr(site_markdown, "MEMO_BYTES", 10)
    site_markdown.adopt({"a": "1234", "b": "123"})
    site_markdown.adopt({"c": "12", "d": "12", "e": "1"})  # a renewed worker's: c fits, d would not
    assert site_markdown._RENDERED.used == {"a": "1234", "b": "123", "c": "12"}  # noqa: SLF001
    site_markdown.adopt({"f": "12", "g": "1"})  # another's: f would not fit, and the taking ends there
    assert site_markdown._RENDERED.used == {"a": "1234", "b": "123", "c": "12"}  # noqa: SLF001
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    site_markdown.keep()
    assert site_markdown._RENDERED.kept() == {"a": "1234", "b": "123", "c": "12"}  # noqa: SLF001
    site_markdown.adopt({"h": "123456789"})
    assert site_markdown._RENDERED.used == {"h": "123456789"}  # noqa: SLF001
