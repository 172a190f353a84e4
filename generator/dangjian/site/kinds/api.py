"""The open-data section: /api/ lists the JSON and CSV files under api/ (see exports.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import exports
from .base import SiteKind, SitePage, section

if TYPE_CHECKING:
    from ..data import SiteData


def pages(data: SiteData) -> Iterator[SitePage]:
    yield api_index(data)


def api_index(data: SiteData) -> SitePage:
    return SitePage(
        "api/", "开放数据", "api.html", {"files": sorted(exports.export_files(data))}, "可供下载的 JSON 和 CSV 数据"
    )


KIND = SiteKind(name="api", urls=("api/",), pages=pages, nav=section("开放数据", "api/"))
