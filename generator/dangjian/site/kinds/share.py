"""Share images (site/sharing.py): no pages of its own; the PNGs every page's `og:image` names, one per
section and one per brand, in the site's colour from mkdocs.yml's `palette.primary`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...themeconfig import read_site_config, theme_settings
from .. import sharing
from .base import LastChanged, SiteKind

if TYPE_CHECKING:
    from ..data import SiteData


def primary(palette: Any) -> Any:
    """mkdocs.yml's `palette.primary`; of a list of palettes (light and dark), the first's."""
    if isinstance(palette, list):
        palette = palette[0] if palette else {}
    return palette.get("primary") if isinstance(palette, dict) else None


def files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    checked = read_site_config(data.reg.root)
    palette = theme_settings(checked.values).theme.get("palette") if not checked.problems else None
    return sharing.images(data, sharing.site_colour(primary(palette)))


KIND = SiteKind(name="share", urls=(), files=files)
