"""Building sites in tests and reading their pages."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from dangjian.site.build import build


def build_site(root: Path, out: Path, search: bool = False) -> Path:
    """Build the registry at `root` into `out` and return `out`."""
    build(root, out, with_search=search)
    return out


def page(site: Path, url: str) -> BeautifulSoup:
    """The parsed page at a site address such as "orgs/east/"."""
    path = site / url / "index.html" if not url.endswith(".html") else site / url
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(site: Path, url: str) -> BeautifulSoup:
    """The part of a page that dangjian writes (what search indexes)."""
    body = page(site, url).select_one("[data-pagefind-body]")
    assert body is not None, f"{url} has no data-pagefind-body"
    return body


def text_files(site: Path) -> list[Path]:
    """Every file of the site that is text."""
    binary = {".png", ".jpg", ".jpeg", ".webp", ".ico", ".woff", ".woff2", ".wasm", ".pagefind", ".pf_meta", ".pf_index", ".pf_fragment"}
    return [p for p in sorted(site.rglob("*")) if p.is_file() and p.suffix not in binary]
