"""Images: each file below content/assets/ is an allowed image, checked by content (see `dangjian.assets`);
each logo or cover names one of them, by a path that stays inside content/assets/."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import PurePosixPath

from ..assets import asset_problems
from ..model import Registry
from ..problems import Problem

ASSET_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".svg")


def _lookup(root: object, value: str) -> str:
    """ "file" when content/assets/`value` is a regular file reached without a symbolic link on the way,
    "link" when a link is on the way, "missing" otherwise (checked with lstat: nothing is followed)."""
    current = str(root)
    for part in ("content", "assets", *PurePosixPath(value).parts):
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except (OSError, ValueError):  # missing, a name too long for the file system
            return "missing"
        if stat.S_ISLNK(mode):
            return "link"
    return "file" if stat.S_ISREG(mode) else "missing"


def _asset_problem(reg: Registry, value: str) -> tuple[str, str] | None:
    path = PurePosixPath(value)
    if "\\" in value or path.is_absolute() or value.startswith("~") or ":" in value:
        return (
            f"图片路径 `{value}` 必须是 content/assets/ 下的相对路径",
            "例如 `brands/qicai.svg`，不要写盘符、开头的 / 或 \\",
        )
    if ".." in path.parts:
        return f"图片路径 `{value}` 不能用 `..` 跳出 content/assets/", "把图片放进 content/assets/ 里再引用"
    if path.suffix.lower() not in ASSET_SUFFIXES:
        return f"图片 `{value}` 的格式不支持", "只能用 png、jpg、webp 或 svg 图片"
    found = _lookup(reg.root, value)
    if found == "missing":
        return f"找不到图片 content/assets/{value}", "检查文件名（区分大小写），或把图片放到这个位置"
    if found == "link":
        return f"图片 `{value}` 要经过符号链接才能找到，不会发布", "把图片文件本身放进 content/assets/"
    return None


def asset_paths(reg: Registry) -> Iterator[Problem]:
    """Every file below content/assets/ is a clean image (links, names, types, SVG content); each logo
    and cover is a png/jpg/webp/svg there, without `..` and without a symbolic link on the way."""
    yield from asset_problems(reg.root)
    for records in reg.records.values():
        for record in records:
            for value, path in record.assets:
                found = _asset_problem(reg, value)
                if found:
                    yield record.doc.problem(path, found[0], found[1], "asset")
