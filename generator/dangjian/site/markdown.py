"""Markdown from the registry and stories to safe HTML: Python-Markdown, then nh3."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..cache import Sealed, cache_dir
from .incremental import code_version

if TYPE_CHECKING:
    import markdown  # imported when first used (`_converter`): 15 ms of every build that renders no new text

EXTENSIONS = ["tables", "sane_lists", "pymdownx.tilde", "pymdownx.betterem"]
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


# Bidi embeddings, overrides, isolates and marks. The registry refuses them raw (text.py), but
# an entity (`&#x202E;花小李`) reaches nh3's output as the character itself, and a browser then
# shows the text reversed: a private name the checks, which drop these characters, never read.
# Controls and noncharacters come the same way (`&#11;`) and are no XML: the feed would break.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


# Removed with what they hold, not unwrapped: a ruby annotation's reading (李<rt>lǐ</rt>小花) would
# otherwise stay in the text between the characters of a name.
_DROPPED_WITH_CONTENT = {"script", "style", "rt", "rp"}


def sanitize(html: str) -> str:
    """Only harmless tags and attributes; no scripts, handlers, styles, or javascript:/data: URLs;
    no bidi controls (text is shown in the order it is checked) and no controls (the feed is XML).

    Cleaned twice: dropping characters from cleaned HTML can make what the first pass let by
    (`java&#x202E;script:` is a relative address to it; without the override it is a script), so
    the result of the drop is cleaned again. The second pass leaves no such character to drop."""
    return _clean(_BIDI_CONTROLS.sub("", _clean(html)))


def _clean(html: str) -> str:
    import nh3  # with Markdown, when a text is rendered

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        clean_content_tags=_DROPPED_WITH_CONTENT,
    )


@lru_cache(maxsize=1)
def _converter() -> markdown.Markdown:
    """Made at first use (0.1 s, and 15 ms to import): a rebuild that renders no text anew never makes it."""
    import markdown

    return markdown.Markdown(extensions=EXTENSIONS, output_format="html")


@lru_cache(maxsize=4096)
def render(text: str) -> Markup:
    """Markdown text as sanitized HTML (h1 demoted: the page has its own): as the last build rendered it, when it did
    (`keep`: the feeds render their newest entries at every build, and made the converter each time)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    html = _RENDERED.used.get(digest) or _RENDERED.kept().get(digest)
    if html is None:
        html = _converter().reset().convert(text)
        html = sanitize(html.replace("<h1>", "<h2>").replace("</h1>", "</h2>"))
    _RENDERED.used[digest] = html
    return Markup(html)


class _Rendered:
    """The texts rendered since the last `keep`, by their digest, and those the last build kept (read at first use).
    Kept in the cache under this code's name (its Markdown, extensions and cleaning): the HTML is a function of the
    text alone."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}
        self._kept: dict[str, str] | None = None
        self.sent = 0  # characters of HTML given to the build by a worker (`rendered_since`)
        self.adopted = 0  # characters of HTML taken from workers since the last `keep` (`adopt`)

    def kept(self) -> dict[str, str]:
        if self._kept is None:
            found = _SEALED.read(cache_dir(), _entry())
            self._kept = found if isinstance(found, dict) else {}
        return self._kept

    def keep(self) -> None:
        """Keep what was rendered since the last keep for the next build, and what was kept before as room allows
        (`MEMO_BYTES` of HTML, the most recently rendered first): an org page made again by a rebuild finds its
        summary, though the build before rendered other pages. Written only when something new was rendered."""
        self.adopted = 0
        if not self.used:
            return
        kept = self.kept()
        if all(digest in kept for digest in self.used):
            self.used = {}
            return
        merged: dict[str, str] = {}
        size = 0
        for digest, html in chain(self.used.items(), kept.items()):
            if digest in merged:
                continue
            if size + len(html) > MEMO_BYTES:
                break
            merged[digest] = html
            size += len(html)
        _SEALED.write(cache_dir(), _entry(), merged)
        self._kept, self.used = merged, {}


def rendered_since() -> dict[str, str]:
    """The texts this process rendered since the last call (by digest), as room allows (`MEMO_BYTES`, over the
    process's calls): a worker rendering pages sends them to the build, which keeps them (`adopt`, `keep`)."""
    found, _RENDERED.used = _RENDERED.used, {}
    given: dict[str, str] = {}
    for digest, html in found.items():
        if _RENDERED.sent + len(html) > MEMO_BYTES:
            break
        given[digest] = html
        _RENDERED.sent += len(html)
    return given


def adopt(rendered: dict[str, str]) -> None:
    """Texts a worker rendered (`rendered_since`), kept by this process's next `keep` as its own: up to `MEMO_BYTES`
    since the last `keep` (workers renewed during a build each give theirs; `keep` would write no more)."""
    for digest, html in rendered.items():
        if _RENDERED.adopted + len(html) > MEMO_BYTES:
            break
        _RENDERED.used[digest] = html
        _RENDERED.adopted += len(html)


# What the memo of rendered texts keeps at most, in characters of HTML (a county's summaries and stories fit; a
# city's cold build keeps those it rendered first): read at the first text a build renders, about 5 ms a MB.
MEMO_BYTES = 4 << 20


_SEALED = Sealed("markdown", b"dangjian-markdown 1", 1 << 28)
_RENDERED = _Rendered()


def _entry() -> str:
    return f"rendered-{code_version()[:32]}.kept"


def keep() -> None:
    """Keep the texts this build rendered for the next build (`render`)."""
    _RENDERED.keep()


@lru_cache(maxsize=4096)
def render_inline(text: str) -> Markup:
    """A one-paragraph Markdown text without its <p> wrapper, for summaries in lists."""
    html = str(render(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)
