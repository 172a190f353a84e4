"""SVG files as data: parsed without expanding entities (defusedxml), refused if they could act.

An SVG opened at its own address runs as a document of the site: a script, an event handler, an
HTML element, an `<animate>` that rewrites a link, or a reference to another address (an image,
a stylesheet, a font) would run code or call elsewhere as the site. What may appear is an
allow-list: SVG's drawing elements, editors' metadata in their own namespaces, and references
inside the file itself (`#id`). Each refusal names the element or attribute, at its line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_external_ges, feature_external_pes
from xml.sax.xmlreader import AttributesImpl, Locator

from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml.expatreader import DefusedExpatParser

from .problems import Problem

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# Editors' namespaces: their elements are metadata a browser does not render or run.
INERT_NS = frozenset(
    {
        "http://www.inkscape.org/namespaces/inkscape",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://web.resource.org/cc/",
        "http://ns.adobe.com/AdobeIllustrator/10.0/",
        "http://ns.adobe.com/AdobeSVGViewerExtensions/3.0/",
        "http://ns.adobe.com/Extensibility/1.0/",
        "http://ns.adobe.com/Graphs/1.0/",
        "http://ns.adobe.com/SaveForWeb/1.0/",
        "http://ns.adobe.com/Variables/1.0/",
        "http://ns.adobe.com/ImageReplacement/1.0/",
        "http://ns.adobe.com/GenericCustomNamespace/1.0/",
        "http://ns.adobe.com/XPath/1.0/",
        "http://www.bohemiancoding.com/sketch/ns",
        "http://www.serif.com/",
    }
)
SVG_ELEMENTS = frozenset(
    """
a altGlyph altGlyphDef altGlyphItem animate animateColor animateMotion animateTransform circle clipPath
color-profile cursor defs desc ellipse feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix
feDiffuseLighting feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight feSpecularLighting feSpotLight
feTile feTurbulence filter font font-face font-face-format font-face-name font-face-src font-face-uri g glyph
glyphRef hkern image line linearGradient marker mask metadata missing-glyph mpath path pattern polygon polyline
radialGradient rect set solidcolor stop style svg switch symbol text textPath title tref tspan use view vkern
""".split()
)
ANIMATIONS = frozenset({"animate", "animateColor", "animateMotion", "animateTransform", "set"})

ELEMENT_HINT = "删除这个元素：网站上的图片不能含有脚本、网页内容或内嵌框架"
EVENT_HINT = "删除这个属性：网站上的图片不能含有脚本"
EXTERNAL_HINT = (
    "删除这个引用，或把被引用的内容画进这个 SVG：外部地址会在访客打开图片时被请求，`javascript:` 之类的地址会执行脚本"
)


def svg_problems(rel: str, data: bytes) -> Iterator[Problem]:
    """Every reason the SVG `data` (the file `rel`) may not be published, at its line and column."""
    handler = _Checker(rel)
    # defusedxml: an entity declaration raises. An external DTD (`<!DOCTYPE svg PUBLIC … "…svg11.dtd">`, as
    # editors write) is not fetched (external entities off) and not refused: browsers never load it either.
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(feature_external_ges, False)
    parser.setFeature(feature_external_pes, False)
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except EntitiesForbidden as err:
        line = parser.getLineNumber() or 1
        yield Problem(
            rel,
            line,
            _column_of(data, line, "<!ENTITY"),
            f"SVG 里不允许声明实体 `{err.name}`",
            "删除 DOCTYPE 里的实体声明：实体可用来制造占满内存的“炸弹”或读取别的文件",
            "svg-entity",
        )
        return
    except DefusedXmlException:
        line = parser.getLineNumber() or 1
        yield Problem(rel, line, 1, "SVG 引用了外部的文档类型或实体", "删除 DOCTYPE 里的外部引用", "svg-external")
        return
    except SAXParseException as err:
        yield Problem(
            rel,
            err.getLineNumber() or 1,
            (err.getColumnNumber() or 0) + 1,
            "SVG 不是格式正确的 XML",
            "用图片软件重新导出 SVG，或检查这一行的标签是否完整",
            "svg-syntax",
        )
        return
    yield from handler.problems


def _column_of(data: bytes, line: int, needle: str) -> int:
    lines = data.decode("utf-8", "replace").splitlines()
    if 0 < line <= len(lines) and needle in lines[line - 1]:
        return lines[line - 1].index(needle) + 1
    return 1


class _Checker(ContentHandler):
    """Checks elements and attributes as they are parsed, resolving namespaces itself (expat's SAX
    reader cannot report prefixes, and messages name elements as written)."""

    def __init__(self, rel: str) -> None:
        super().__init__()
        self.rel = rel
        self.problems: list[Problem] = []
        self.scopes: list[dict[str | None, str]] = [{"xml": "http://www.w3.org/XML/1998/namespace"}]
        self.skipping = 0  # depth inside a refused element: its content is not checked again
        self.style: list[str] | None = None
        self.style_at = (1, 1)
        self.depth = 0
        self.locator: Locator | None = None
        self.places: list[tuple[str | None, str | None]] = []  # (x, y) of each open element, inherited
        self.last_drawn: tuple[float, str | None] | None = None  # where the last characters were placed
        self.reordered = False

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 - SAX's name
        self.locator = locator

    def _at(self) -> tuple[int, int]:
        if self.locator is None:
            return 1, 1
        return self.locator.getLineNumber() or 1, (self.locator.getColumnNumber() or 0) + 1

    def _problem(self, message: str, hint: str, code: str, at: tuple[int, int] | None = None) -> None:
        line, column = at or self._at()
        self.problems.append(Problem(self.rel, line, column, message, hint, code))

    def processingInstruction(self, target: str, data: str) -> None:  # noqa: N802
        self._problem(f"SVG 里不允许处理指令 `<?{target}?>`", "删除这一行：它会让浏览器加载别处的样式或内容", "svg-pi")

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802
        scope = dict(self.scopes[-1])
        for key, value in attrs.items():
            if key == "xmlns":
                scope[None] = value
            elif key.startswith("xmlns:"):
                scope[key[6:]] = value
        self.scopes.append(scope)
        self.depth += 1
        if self.skipping:
            self.skipping += 1
            return
        prefix, _, local = name.rpartition(":")
        namespace = scope.get(prefix or None, SVG_NS) if prefix else scope.get(None) or SVG_NS
        if self.depth == 1 and (namespace != SVG_NS or local != "svg"):
            self._problem("SVG 的根元素必须是 `<svg>`", "这个文件不是 SVG 图片：用图片软件重新导出", "svg-root")
        if namespace in INERT_NS:
            self.skipping = 1  # editors' metadata: not rendered, not run
            return
        if namespace != SVG_NS or local not in SVG_ELEMENTS:
            self._problem(f"SVG 里不允许 `<{name}>` 元素", ELEMENT_HINT, "svg-element")
            self.skipping = 1
            return
        self._check_attributes(local, attrs, scope)
        self._place(local, attrs)
        if local == "style":
            self.style, self.style_at = [], self._at()

    def _check_attributes(self, element: str, attrs: AttributesImpl, scope: dict[str | None, str]) -> None:
        for key, value in attrs.items():
            if key == "xmlns" or key.startswith("xmlns:"):
                continue
            prefix, _, local = key.rpartition(":")
            if local.lower().startswith("on"):
                self._problem(f"SVG 里不允许事件属性 `{key}`", EVENT_HINT, "svg-event")
                continue
            if prefix and scope.get(prefix) in INERT_NS:
                continue
            if local == "href" or key == "xml:base":
                if not value.strip().startswith("#") or key == "xml:base":
                    self._problem(
                        f"SVG 的 `{key}` 指向 `{_short(value)}`：只能指向图内以 # 开头的位置",
                        EXTERNAL_HINT,
                        "svg-external",
                    )
                continue
            if local in _BIDI_PROPERTIES:
                self._problem(f"SVG 里不允许 `{key}` 属性", BIDI_HINT, "svg-bidi")
                continue
            if element in ANIMATIONS and local == "attributeName":
                target = value.strip().rpartition(":")[2].lower()
                if target == "href" or target.startswith("on"):
                    self._problem(f"SVG 的 `<{element}>` 不能改写 `{value.strip()}` 属性", EVENT_HINT, "svg-event")
                continue
            for message in css_problems(value):
                self._problem(message, EXTERNAL_HINT, "svg-external")
            if _has_bidi_property(value):
                self._problem(f"SVG 的 `{key}` 不能改变文字方向", BIDI_HINT, "svg-bidi")

    def _place(self, element: str, attrs: AttributesImpl) -> None:
        """Track where text is drawn; characters placed one by one (x="40 20 0") are refused outright."""
        x, y = self.places[-1] if self.places else (None, None)
        if element in _TEXT_ELEMENTS:
            if _backwards(attrs.get("x", ""), absolute=True) or _backwards(attrs.get("dx", ""), absolute=False):
                self._problem(
                    "SVG 的文字逐字向左摆放（`x` 或 `dx` 的值），显示的顺序与书写的顺序不同",
                    ORDER_HINT,
                    "svg-text-order",
                )
            x, y = attrs.get("x", x), attrs.get("y", y)
        self.places.append((x, y))

    def characters(self, content: str) -> None:
        if self.style is not None and not self.skipping:
            self.style.append(content)
        if not self.skipping and content.strip() and self.places and not self.reordered:
            x, y = self.places[-1]
            try:
                at = float(x) if x is not None else None
            except ValueError:
                at = None
            if at is not None:
                if self.last_drawn is not None and self.last_drawn[1] == y and at < self.last_drawn[0]:
                    self.reordered = True  # drawn to the left of the text before it, on the same line
                    self._problem(
                        "SVG 的文字从右向左逐段摆放，显示的顺序与书写的顺序不同", ORDER_HINT, "svg-text-order"
                    )
                self.last_drawn = (at, y)
        if not self.skipping and _BIDI_CONTROLS.search(content):
            self._problem("SVG 的文字里有改变文字方向的控制字符", BIDI_HINT, "svg-bidi")

    def endElement(self, name: str) -> None:  # noqa: N802
        self.scopes.pop()
        self.depth -= 1
        if self.skipping:
            self.skipping -= 1
            return
        self.places.pop()
        if self.style is not None:
            for message in css_problems("".join(self.style)):
                self._problem(message, "删除这条样式规则，把需要的样式直接写进 SVG", "svg-external", self.style_at)
            if _has_bidi_property("".join(self.style)):
                self._problem("SVG 的样式不能改变文字方向", BIDI_HINT, "svg-bidi", self.style_at)
            self.style = None


_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))", re.I)
_CSS_LOADERS = re.compile(
    r"@import|(?:-webkit-)?image-set\(|(?<![\w-])image\(|cross-fade\(|element\(|expression\(", re.I
)


# Text drawn in another order than it is written (`direction: rtl` with `unicode-bidi:
# bidi-override`, or U+202E) shows 花小李 as 李小花: the privacy checks read the written order.
_BIDI_PROPERTIES = frozenset({"direction", "unicode-bidi"})
_BIDI_CSS = re.compile(r"(?<![\w-])(?:direction|unicode-bidi)\s*:", re.I)
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Text placed piece by piece, right to left (`x="40 20 0"`, or one <tspan> or <text> per character),
# is drawn in another order than written; the privacy checks read it as written.
_TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "tref", "altGlyph"})
_NUMBER_LIST = re.compile(r"[\s,]+")
ORDER_HINT = "把文字按书写顺序从左到右排，或在图片软件里把文字转成路径（轮廓）"
BIDI_HINT = "删除它：文字会按与书写不同的顺序显示，隐私检查读不到显示出来的内容"


def _backwards(value: str, absolute: bool) -> bool:
    """Whether a list of x coordinates (or dx shifts) places a character left of the one before it.
    Per-character lists moving right are kerning, as Illustrator writes them."""
    parts = [part for part in _NUMBER_LIST.split(value.strip()) if part]
    if len(parts) < 2:
        return False
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return False
    if absolute:
        return any(b < a for a, b in zip(numbers, numbers[1:]))
    return any(shift < 0 for shift in numbers[1:])


def _has_bidi_property(css: str) -> bool:
    if ":" not in css:
        return False
    return bool(_BIDI_CSS.search(_CSS_COMMENT.sub("", _CSS_ESCAPE.sub(_unescape, css))))


def _unescape(match: re.Match) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return match.group(2)


def css_problems(text: str) -> list[str]:
    """Messages for what in a CSS text (a style sheet, a style attribute or a presentation value) loads from
    elsewhere."""
    if "(" not in text and "@" not in text:
        return []
    css = _CSS_COMMENT.sub("", _CSS_ESCAPE.sub(_unescape, text))
    found = []
    for match in _CSS_LOADERS.finditer(css):
        word = match.group().rstrip("(").lower()
        found.append(f"SVG 的样式不能用 `{word}`" if word == "@import" else f"SVG 的样式不能用 `{word}()`")
    for match in _CSS_URL.finditer(css):
        target = next(group for group in match.groups() if group is not None).strip()
        if not target.startswith("#"):
            found.append(f"SVG 的样式引用了外部地址 `{_short(target)}`")
    return found


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit] + "…"
