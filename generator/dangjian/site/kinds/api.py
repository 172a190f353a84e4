"""The open-data section: /api/ describes each table and its columns, and lists every file under api/: the
JSON and CSV of each table, or of its numbered parts when it is large (exports.py), the Data Package describing
them (datapackage.py) and the organizations with public members and their memberships in Popolo's shape
(popolo.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import datapackage, exports, popolo
from .base import LastChanged, SiteKind, SitePage, section

if TYPE_CHECKING:
    from ..data import SiteData

PACKAGE = "api/datapackage.json"
POPOLO = "api/popolo.json"


def pages(data: SiteData) -> Iterator[SitePage]:
    yield api_index(data)


def api_index(data: SiteData) -> SitePage:
    package = datapackage.descriptor(data)
    people = list(popolo.popolo_files(data))
    context = {
        "files": sorted([*datapackage.export_files(data), PACKAGE, *people]),
        "tables": datapackage.described_columns(package),
        "license": package["licenses"][0],
        "package": PACKAGE,
        "popolo": POPOLO,
        "popolo_parts": people if people != [POPOLO] else [],
        "site_title": data.settings.get("title", "基层党建"),
        "part_limit": size_text(exports.PART_BYTES),
    }
    return SitePage("api/", "开放数据", "api.html", context, "可供下载的 JSON 和 CSV 数据，附数据说明")


def size_text(size: int) -> str:
    """A file size as the page says it: 1 MB, 200 KB, 500 字节 (decimal units, as `exports.PART_BYTES` is)."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} 字节"


def files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    """The Data Package descriptor and the Popolo export (in parts when large)."""
    package = json.dumps(datapackage.descriptor(data), ensure_ascii=False, indent=1) + "\n"
    return {PACKAGE: package.encode(), **popolo.popolo_files(data)}


KIND: SiteKind = SiteKind(name="api", urls=("api/",), pages=pages, files=files, nav=section("开放数据", "api/"))
