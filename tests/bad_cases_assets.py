"""Bad cases of files in content/assets/ (merged into tests/test_bad_cases.py).

Every file under content/assets/ is checked, referenced or not: its name, its type (by its
content, never its suffix) and, for SVG, what it may do in a browser. Symbolic links cannot be
kept in git portably: tests/test_security_files.py makes those at run time.
"""

from __future__ import annotations

_EXTERNAL = "只能指向图内以 # 开头的位置"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "assets-svg-script": [
        ("content/assets/brands/red.svg", 1, 1, "SVG 里不允许事件属性 `onload`"),
        ("content/assets/brands/red.svg", 3, 3, "SVG 里不允许 `<script>` 元素"),
        ("content/assets/brands/red.svg", 4, 3, f"SVG 的 `href` 指向 `javascript:alert(1)`：{_EXTERNAL}"),
        ("content/assets/brands/red.svg", 4, 33, "SVG 里不允许事件属性 `onClick`"),
    ],
    "assets-svg-foreign": [
        ("content/assets/extra/card.svg", 2, 3, "SVG 里不允许 `<foreignObject>` 元素"),
        ("content/assets/extra/card.svg", 3, 3, "SVG 里不允许 `<h:script>` 元素"),
        ("content/assets/extra/card.svg", 4, 3, "SVG 里不允许 `<iframe>` 元素"),
        ("content/assets/extra/card.svg", 5, 3, "SVG 的 `<set>` 不能改写 `href` 属性"),
    ],
    "assets-svg-external": [
        ("content/assets/extra/tracker.svg", 2, 1, "SVG 里不允许处理指令 `<?xml-stylesheet?>`"),
        ("content/assets/extra/tracker.svg", 4, 3, "SVG 的样式不能用 `@import`"),
        ("content/assets/extra/tracker.svg", 4, 3, "SVG 的样式引用了外部地址 `//example.org/a.css`"),
        ("content/assets/extra/tracker.svg", 7, 3, f"SVG 的 `href` 指向 `https://example.org/pixel.png`：{_EXTERNAL}"),
        ("content/assets/extra/tracker.svg", 8, 3, f"SVG 的 `xlink:href` 指向 `other.svg#shape`：{_EXTERNAL}"),
        ("content/assets/extra/tracker.svg", 9, 3, "SVG 的样式引用了外部地址 `http://example.org/p.svg#x`"),
    ],
    "assets-svg-entity": [
        ("content/assets/extra/lol.svg", 3, 3, "SVG 里不允许声明实体 `a`"),
    ],
    "assets-svg-broken": [
        ("content/assets/extra/broken.svg", 3, 1, "SVG 不是格式正确的 XML"),
    ],
    "assets-not-images": [
        ("content/assets/docs/app.js", 1, 1, "这个文件不是图片（内容是纯文本）"),
        ("content/assets/docs/file.pdf", 1, 1, "这个文件不是图片（内容是 PDF 文档）"),
        ("content/assets/docs/pack.zip", 1, 1, "这个文件不是图片（内容是压缩包）"),
        ("content/assets/docs/page.html", 1, 1, "这个文件不是图片（内容是网页 HTML）"),
    ],
    "assets-disguised": [
        ("content/assets/photos/cut.png", 1, 1, "PNG 图片已损坏，无法读取"),
        ("content/assets/photos/group.webp", 1, 1, "文件内容是 JPEG 图片，与扩展名 `.webp` 不符"),
        ("content/assets/photos/logo.svg", 1, 1, "文件内容是 PNG 图片，与扩展名 `.svg` 不符"),
        ("content/assets/photos/team.jpg", 1, 1, "这个文件不是图片（内容是纯文本）"),
    ],
    "assets-names": [
        ("content/assets/.DS_Store", 1, 1, "文件名不能以 `.` 开头"),
        ("content/assets/.DS_Store", 1, 1, "这个文件不是图片（内容无法识别）"),
        ("content/assets/Photos", 1, 1, "文件夹名含有不允许的字符：`P`"),
        ("content/assets/brands/13912345678.svg", 1, 1, "文件名里像是手机号码"),
        ("content/assets/brands/Logo.svg", 1, 1, "文件名含有不允许的字符：`L`"),
        ("content/assets/brands/a#b.svg", 1, 1, "文件名含有不允许的字符：`#`"),
        ("content/assets/brands/two words.svg", 1, 1, "文件名含有不允许的字符：空格"),
        ("content/assets/brands/党建.svg", 1, 1, "文件名含有不允许的字符：`党`、`建`"),
    ],
}
