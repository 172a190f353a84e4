"""Image paths stay inside content/assets/ and name existing images."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ..model import Registry
from ..problems import Problem

ASSET_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".svg")


def _asset_problem(reg: Registry, value: str) -> tuple[str, str] | None:
    path = PurePosixPath(value)
    if "\\" in value or path.is_absolute() or value.startswith("~") or ":" in value:
        return f"图片路径 `{value}` 必须是 content/assets/ 下的相对路径", "例如 `brands/qicai.svg`，不要写盘符、开头的 / 或 \\"
    if ".." in path.parts:
        return f"图片路径 `{value}` 不能用 `..` 跳出 content/assets/", "把图片放进 content/assets/ 里再引用"
    if path.suffix.lower() not in ASSET_SUFFIXES:
        return f"图片 `{value}` 的格式不支持", "只能用 png、jpg、webp 或 svg 图片"
    assets = (reg.root / "content" / "assets").resolve()
    target = reg.root / "content" / "assets" / value
    try:
        found = target.is_file()
        inside = found and target.resolve().is_relative_to(assets)
    except (OSError, RuntimeError):  # a name too long for the file system, a symlink loop
        found = inside = False
    if not found:
        return f"找不到图片 content/assets/{value}", "检查文件名（区分大小写），或把图片放到这个位置"
    if not inside:
        return f"图片 `{value}` 是指向 content/assets/ 之外的链接", "把图片文件本身放进 content/assets/"
    return None


def asset_paths(reg: Registry) -> Iterator[Problem]:
    """Each logo and cover is a png/jpg/webp/svg inside content/assets/, without `..` or symlinks out."""
    for records in reg.records.values():
        for record in records:
            for value, path in record.assets:
                found = _asset_problem(reg, value)
                if found:
                    yield record.doc.problem(path, found[0], found[1], "asset")
