"""`dangjian merge`: several built sites (shards, one per city) as one site with one search.

Each shard is a complete site built by `dangjian build` from its own registry root. The merged
site serves shard NAME under `/NAME/`, unchanged: its pages only link relatively, so every
stable address of the format holds below the prefix (`/NAME/orgs/<id>/`, `/NAME/api/orgs.json`…),
and ids only need to be unique within their shard. At the top it adds:

- `index.html`: a page in the shards' look listing every shard (`site_templates/pages/merged_home.html`), and
  `404.html`;
- `dangjian-search.json`, also written into every shard: the search indexes of all shards,
  relative to the file. The search dialog (assets/dangjian/search.js) reads the file beside its
  own site's `pagefind/` and searches every index listed: Pagefind bundles merged in the browser
  (Pagefind's `mergeIndex`), or, for shards built with dangjian's own index (`"engine": "own"`,
  each shard's `djsearch/`), every index queried and the results ranked together as one index
  would rank them; a shard published alone keeps the one its build wrote, which lists only its own
  index. Shards of both engines cannot be searched as one and are refused;
- `sitemap.xml` as a sitemap index of the shards' sitemaps (of each part, for a shard whose own
  `sitemap.xml` is an index), `robots.txt`, `api/shards.json`.

Inputs are checked before anything is written (names, folders that are not dangjian sites,
output inside an input and the reverse); the new site is assembled in a temporary folder
beside the output and swapped in, so a failed merge leaves the previous site as it was.
Files are hard-linked from the shards where the file system allows (copied otherwise); the
merge never changes a file in place, it replaces it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .exports import read_table
from . import ownsearch, search
from .theme import TEMPLATES
from .output import MERGED, refuse_output, staged, written_by
from .theme import MaterialTheme, NavEntry, PageSpec, ThemeError

SEARCH_CONFIG = search.CONFIG
MARKER = MERGED  # only a merged site has it: the list of its shards
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RESERVED = frozenset({"api", "assets", "pagefind"})  # top-level folders of the merged site itself
_H1 = re.compile(r'<h1 id="dj-title">(.*?)</h1>', re.S)
_DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)"')
_LOC = re.compile(r"<loc>([^<]*)</loc>")
_TAGS = re.compile(r"<[^>]+>")


ENGINE_NAMES = {"pagefind": " Pagefind 索引", "own": "自有索引"}


class MergeError(Exception):
    """The shards cannot be merged; nothing was written."""


@dataclass
class Shard:
    """One built site to merge, and what the merge read from it."""

    name: str
    source: Path
    title: str = ""
    description: str = ""
    pages: int = 0
    orgs: int | None = None
    base: str = ""  # the shard's own address, from the first entry of its sitemap ("/" when it has no base_url)
    pagefind: str = ""  # the Pagefind version of its search bundle ("" with the own index)
    engine: str = "pagefind"  # its search index: Pagefind's bundle or dangjian's own (`ownsearch.ENGINES`)
    sitemaps: list[str] = field(
        default_factory=list
    )  # its sitemap files that list pages (sitemap-N.xml below an index)

    @property
    def index(self) -> str:
        """Its search index's folder, relative to it."""
        return f"{ownsearch.FOLDER}/" if self.engine == "own" else "pagefind/"


@dataclass
class MergeReport:
    """What a merge wrote."""

    out: Path
    shards: list[Shard]
    files: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def parse_shard(argument: str) -> tuple[str, Path]:
    """`NAME=DIR`, or `DIR` whose folder name is the shard's name."""
    if "=" in argument:
        name, _, folder = argument.partition("=")
        if not folder:
            raise MergeError(f"`{argument}` 缺少文件夹：写成 名称=文件夹，例如 wuxi=shards/wuxi/site")
    else:
        folder = argument
        name = Path(argument.rstrip("/\\")).name
        if not NAME.match(name):
            raise MergeError(
                f"文件夹名 `{name}` 不能直接作为分站名：写成 名称=文件夹，例如 wuxi={argument}"
                "（名称只能用小写字母、数字和 -，以字母或数字开头）"
            )
    if not NAME.match(name):
        raise MergeError(
            f"分站名 `{name}` 不可用：只能用小写字母、数字和 -，以字母或数字开头（它就是网址里的 /{name}/）"
        )
    if name in RESERVED:
        raise MergeError(f"分站名 `{name}` 被合并后的网站自己占用（{'、'.join(sorted(RESERVED))}），请换一个名称")
    return name, Path(folder)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check(shards: list[tuple[str, Path]], out: Path) -> list[Shard]:
    """Every problem of the inputs as a MergeError (in Chinese), before anything is written."""
    if not shards:
        raise MergeError("没有给出分站：dangjian merge --out 输出文件夹 名称=分站网站文件夹 ...")
    given, out = out, out.resolve()
    seen: dict[str, Path] = {}
    folders: dict[Path, str] = {}
    checked: list[Shard] = []
    for name, folder in shards:
        if name in seen:
            raise MergeError(f"分站名 `{name}` 重复：{seen[name]} 和 {folder}；每个分站要有自己的名称")
        seen[name] = folder
        source = folder.resolve()
        if not source.is_dir():
            raise MergeError(f"分站 `{name}` 的文件夹不存在：{folder}")
        if source in folders:
            raise MergeError(f"同一个文件夹 {folder} 给了两次（分站 `{folders[source]}` 和 `{name}`）")
        folders[source] = name
        if out == source:
            raise MergeError(f"输出文件夹就是分站 `{name}` 的文件夹 {folder}：请把输出放到分站文件夹之外")
        if _inside(out, source):
            raise MergeError(f"输出文件夹 {out} 在分站 `{name}` 的文件夹 {folder} 里面：请把输出放到分站文件夹之外")
        if _inside(source, out):
            raise MergeError(
                f"分站 `{name}` 的文件夹 {folder} 在输出文件夹 {out} 里面：合并会替换整个输出文件夹，"
                "请先把分站复制到别处"
            )
        checked.append(_read_shard(name, source, folder))
        link = _first_link(source)
        if link is not None:
            raise MergeError(
                f"分站 `{name}` 里有符号链接 {link}：合并不会发布链接指向的文件（它可能在网站之外），"
                "请给出 dangjian build 直接生成的网站"
            )
    _alike(
        checked,
        lambda s: s.engine,
        lambda s: f"{s.name} 用{ENGINE_NAMES[s.engine]}（{s.index}）",
        "分站的搜索索引不是同一种（{}），浏览器里无法合并成一个搜索：请用同一种索引重新生成各分站"
        "（dangjian build --search-engine own，或 --search-engine pagefind）",
    )
    _alike(
        checked,
        lambda s: s.pagefind,
        lambda s: f"{s.name} {s.pagefind}",
        "分站的搜索索引由不同版本的 Pagefind 生成（{}），浏览器里无法合并：请用同一版本的 dangjian 重新生成各分站",
    )
    reason = refuse_output(given, None, _merged_site, "dangjian merge")
    if reason:
        raise MergeError(reason)
    return checked


def _alike(shards: list[Shard], key: Callable[[Shard], str], shown: Callable[[Shard], str], message: str) -> None:
    """A MergeError, `message` naming every shard as `shown` gives it, unless all shards have the same `key`."""
    if len({key(shard) for shard in shards}) > 1:
        raise MergeError(message.format("，".join(shown(shard) for shard in shards)))


def _first_link(folder: Path) -> Path | None:
    """The first symbolic link below `folder`, if any (dangjian never writes one into a site)."""
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            if os.path.islink(os.path.join(top, name)):
                return Path(top, name)
    return None


def _merged_site(folder: Path) -> bool:
    """A folder `merge` may replace: a merged site (marked, or from before the marker)."""
    return written_by(folder) == "merge" or (folder / MARKER).is_file()


def _read_shard(name: str, source: Path, shown: Path) -> Shard:
    """A shard's title, figures and search bundle; a MergeError when it is not a dangjian site."""
    index = source / "index.html"
    if (source / MARKER).is_file():
        raise MergeError(f"分站 `{name}` 的文件夹 {shown} 是一个合并后的网站，不能再作为分站；请给出各市自己生成的网站")
    if not index.is_file() or not (source / "assets/dangjian/search.js").is_file():
        raise MergeError(
            f"分站 `{name}` 的文件夹 {shown} 不是 dangjian 生成的网站（缺少 index.html 或 assets/dangjian/search.js）："
            "请给出 dangjian build --out 写出的文件夹"
        )
    engine = _engine(source)
    if engine is None:
        raise MergeError(
            f"分站 `{name}` 没有搜索索引（{shown}/pagefind/ 或 {shown}/{ownsearch.FOLDER}/）："
            "生成该分站时不要加 --no-search"
        )
    if engine == "own" and (problem := ownsearch.problem(source / ownsearch.FOLDER)):
        raise MergeError(
            f"分站 `{name}` 的自有搜索索引不完整（{shown}/{ownsearch.FOLDER}/）：{problem}；"
            "请用 dangjian build 重新生成该分站"
        )
    try:
        script = (source / "assets/dangjian/search.js").read_text(encoding="utf-8", errors="replace")
        entry = source / "pagefind/pagefind-entry.json"
        version = str(json.loads(entry.read_text(encoding="utf-8")).get("version", "")) if engine == "pagefind" else ""
        page = index.read_text(encoding="utf-8")
        sitemap_files = _sitemap_files(source)
        sitemap = "".join((source / name).read_text(encoding="utf-8") for name in sitemap_files)
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as err:
        raise MergeError(f"分站 `{name}` 的文件读不出来（{shown}）：{err}") from err
    if SEARCH_CONFIG not in script:
        raise MergeError(
            f"分站 `{name}` 由旧版 dangjian 生成，它的搜索框不会合并其他分站（{shown}/assets/dangjian/search.js）："
            "请用新版 dangjian 重新生成该分站"
        )
    title = _H1.search(page)
    description = _DESCRIPTION.search(page)
    locs = _LOC.findall(sitemap)
    shard = Shard(
        name,
        source,
        pagefind=version,
        engine=engine,
        pages=len(locs),
        base=html.unescape(locs[0]) if locs else "/",
        title=html.unescape(_TAGS.sub("", title.group(1))).strip() if title else name,
        description=html.unescape(description.group(1)) if description else "",
        sitemaps=sitemap_files,
    )
    orgs = read_table(source, "api/orgs")  # one file, or its parts at city scale
    shard.orgs = len(orgs) if orgs is not None else None
    return shard


def _engine(source: Path) -> str | None:
    """The search index a shard was built with: the one it has (Pagefind's entry file or the own index's meta), as
    its dangjian-search.json says when it has both; None without either."""
    found = [
        engine
        for engine, marker in (("pagefind", "pagefind/pagefind-entry.json"), ("own", f"{ownsearch.FOLDER}/meta.gz"))
        if (source / marker).is_file()
    ]
    if len(found) < 2:
        return found[0] if found else None
    try:
        stated = json.loads((source / SEARCH_CONFIG).read_text(encoding="utf-8")).get("engine")
    except (OSError, ValueError, AttributeError):
        stated = None
    return "own" if stated == "own" else "pagefind"


_SITEMAP_PART = re.compile(r"(?:^|/)(sitemap-\d+\.xml)$")


def _sitemap_files(source: Path) -> list[str]:
    """The shard's sitemap files that list its pages: `sitemap.xml`, or the `sitemap-N.xml` files
    a large shard's `sitemap.xml` indexes (a sitemap index may not list another index)."""
    top = source / "sitemap.xml"
    if not top.is_file():
        return []
    text = top.read_text(encoding="utf-8")
    if "<sitemapindex" not in text:
        return ["sitemap.xml"]
    parts = [m.group(1) for loc in _LOC.findall(text) if (m := _SITEMAP_PART.search(html.unescape(loc)))]
    return [name for name in parts if (source / name).is_file()]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _replace(path: Path, data: str | bytes) -> None:
    """Write a new file at `path` (never through a hard link shared with a shard)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _site_url(base_url: str | None) -> str | None:
    if not base_url:
        return None
    return base_url if base_url.endswith("/") else base_url + "/"


def merge(
    shards: list[tuple[str, Path]],
    out: Path,
    *,
    title: str = "基层党建",
    description: str = "",
    base_url: str | None = None,
    config_file: Path | None = None,
) -> MergeReport:
    """Merge the built sites `shards` ([(name, folder)]) into `out`, atomically."""
    started = time.monotonic()
    out = Path(out)
    if base_url and not re.match(r"^https?://[^/\s]+", base_url):
        raise MergeError(f"--base-url 要写完整的网址，以 http:// 或 https:// 开头（现在是 {base_url}）")
    site_url = _site_url(base_url)
    checked = check(shards, out)  # sees `out` as given: a link there is refused, not followed
    out = out.resolve()
    warnings = _address_warnings(checked, site_url)
    with staged(out, "merge") as staging:
        for shard in checked:
            shutil.copytree(shard.source, staging / shard.name, symlinks=False, copy_function=_link_or_copy)
            _write_shard_files(staging, shard, checked, site_url)
        _write_top(staging, checked, title, description, site_url, config_file)
        files = sum(1 for p in staging.rglob("*") if p.is_file())
    return MergeReport(out, checked, files, time.monotonic() - started, warnings)


def _address_warnings(shards: list[Shard], site_url: str | None) -> list[str]:
    """Shards whose base_url is not where the merged site serves them (canonical links, feeds would point elsewhere)."""
    if not site_url:
        return []
    warnings = []
    for shard in shards:
        expected = f"{site_url}{shard.name}/"
        if shard.base.startswith("/") or shard.base == expected:
            continue
        warnings.append(
            f"分站 `{shard.name}` 的 base_url 是 {shard.base}，合并后它的地址是 {expected}："
            f"请把该市 registry/site.yaml 的 base_url 改为 {expected} 后重新生成，否则页面的规范链接和订阅指向旧地址"
        )
    return warnings


def search_config(shards: list[Shard], prefix: str) -> str:
    """dangjian-search.json: every shard's index, relative to the file (`prefix` "" at the top, "../" in a shard)."""
    bundles = [
        {"name": s.name, "title": s.title, "site": f"{prefix}{s.name}/", "bundle": f"{prefix}{s.name}/{s.index}"}
        for s in shards
    ]
    return search.config(bundles, engine="own" if shards and shards[0].engine == "own" else None)


def _write_shard_files(staging: Path, shard: Shard, shards: list[Shard], site_url: str | None) -> None:
    folder = staging / shard.name
    _replace(folder / SEARCH_CONFIG, search_config(shards, "../"))
    here = f"{site_url or '/'}{shard.name}/"
    if shard.base.startswith("/") and shard.base != here:
        # Built without base_url, its sitemaps hold paths from its own root ("/orgs/…"; "/old-name/orgs/…" when the
        # shard comes from an earlier merge): make them the addresses under the prefix.
        for name in dict.fromkeys(["sitemap.xml", *shard.sitemaps]):
            sitemap = folder / name
            if sitemap.is_file():
                text = sitemap.read_text(encoding="utf-8")
                _replace(sitemap, text.replace(f"<loc>{xml_escape(shard.base)}", f"<loc>{xml_escape(here)}"))


def _write_top(
    staging: Path, shards: list[Shard], title: str, description: str, site_url: str | None, config_file: Path | None
) -> None:
    """The merged site's own files: home page, 404, theme assets, search config, sitemap index, robots, shard list."""
    nav = [NavEntry("首页", ""), *(NavEntry(s.title, f"{s.name}/") for s in shards)]
    try:
        theme = MaterialTheme(config_file, site_name=title, description=description, site_url=site_url, nav=nav)
    except ThemeError as err:
        raise MergeError(f"首页的外观设置有误：{err}") from err
    _replace(
        staging / "index.html", theme.render(PageSpec("", title, home_body(shards, title, description), description))
    )
    _replace(staging / "404.html", theme.render_404())
    theme.copy_assets(staging)
    _replace(staging / SEARCH_CONFIG, search_config(shards, ""))
    base = site_url or "/"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    lines += [
        f"  <sitemap><loc>{xml_escape(base + s.name)}/{name}</loc></sitemap>"
        for s in shards
        for name in s.sitemaps
        if (staging / s.name / name).is_file()
    ]
    lines.append("</sitemapindex>")
    _replace(staging / "sitemap.xml", "\n".join(lines) + "\n")
    robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {site_url}sitemap.xml\n" if site_url else "")
    _replace(staging / "robots.txt", robots)
    listing = [
        {
            "name": s.name,
            "title": s.title,
            "url": f"{s.name}/",
            "pages": s.pages,
            "orgs": s.orgs,
            "sitemap": f"{s.name}/sitemap.xml",
            "search": f"{s.name}/{s.index}",
        }
        for s in shards
    ]
    _replace(staging / MARKER, json.dumps(listing, ensure_ascii=False, indent=1) + "\n")


def home_body(shards: list[Shard], title: str, description: str) -> str:
    """The merged site's home page article: figures, then a card per shard (`merged_home.html`)."""
    orgs = [s.orgs for s in shards if s.orgs is not None]
    figures = [
        (len(shards), "分站"),
        *([(sum(orgs), "党组织")] if orgs else []),
        (sum(s.pages for s in shards), "页面"),
    ]
    template = _environment().get_template("merged_home.html")
    return template.render(title=title, description=description, figures=figures, shards=shards)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The merged site's own page templates, autoescaped; undefined names are errors, not blanks."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES / "pages")), autoescape=True, undefined=StrictUndefined)
