"""Search: Pagefind's extended build (it segments Chinese) over the written pages.

Only `data-pagefind-body` content is indexed. Queries are folded to simplified
characters in the browser (assets/dangjian/t2s.js); pages holding traditional
characters also carry a hidden simplified copy, so both scripts find both.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from markupsafe import escape


# The bundles the search box merges, beside the site's pagefind/ folder (`dangjian merge`
# rewrites it to list every shard). A site built alone lists its own bundle.
CONFIG = "dangjian-search.json"


def config(bundles: list[dict[str, str]]) -> str:
    """dangjian-search.json listing `bundles` ({name, title, site, bundle}, relative to the file)."""
    return json.dumps({"version": 1, "bundles": bundles}, ensure_ascii=False, indent=1) + "\n"


def own_config() -> str:
    """dangjian-search.json for a site searched alone."""
    return config([{"name": "", "title": "", "site": "./", "bundle": "pagefind/"}])


class SearchError(Exception):
    """Pagefind failed."""


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


_TAGS = re.compile(r"<[^>]+>")


def simplified_copy(content_html: str) -> str:
    """A hidden simplified-character copy of a page body's text, or "" when it is simplified already."""
    text = _TAGS.sub(" ", content_html)
    converted = _t2s().convert(text)
    if converted == text:
        return ""
    return f'<div hidden data-pagefind-weight="0.5">{escape(" ".join(converted.split()))}</div>'


def pagefind_binary() -> Path:
    """The extended Pagefind binary shipped by the pagefind-bin-extended wheel."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())


def index(site: Path) -> str:
    """Index `site` in place into `site/pagefind/`; returns Pagefind's summary line."""
    command = [str(pagefind_binary()), "--site", str(site), "--output-subdir", "pagefind", "--force-language", "zh"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchError(f"Pagefind 建立搜索索引失败：{result.stderr.strip() or result.stdout.strip()}")
    lines = [l for l in result.stdout.splitlines() if "Indexed" in l and "pages" in l]
    return lines[-1].strip() if lines else ""
