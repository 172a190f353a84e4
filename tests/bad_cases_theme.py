"""Bad cases of the registry root's mkdocs.yml (issue 16: nothing in the root is code).

Each is an overlay under tests/fixtures/bad/<case>/; tests/test_bad_cases.py merges CASES.
"""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "theme-custom-dir": [
        ("mkdocs.yml", 4, 3, "不支持 theme.custom_dir：登记簿里的模板会在生成网站时执行，等于运行代码"),
    ],
    "theme-tags": [
        ("mkdocs.yml", 3, 9, "不允许使用 YAML 标签 `!relative`"),
        ("mkdocs.yml", 4, 12, "不允许使用 YAML 标签 `!ENV`"),
        ("mkdocs.yml", 6, 8, "不允许使用 YAML 标签 `tag:yaml.org,2002:python/object/apply:os.getenv`"),
    ],
    "theme-offsite": [
        ("mkdocs.yml", 3, 3, "theme.font 只能是 false"),
        ("mkdocs.yml", 5, 12, "不允许引用站外的文件 `https://tracker.example/favicon.ico`"),
        ("mkdocs.yml", 7, 5, "不允许引用站外的文件 `https://cdn.example/analytics.js`"),
        ("mkdocs.yml", 8, 5, "不允许引用站外的文件 `//cdn.example/x.js`"),
        ("mkdocs.yml", 9, 5, "不允许引用站外的文件 `javascript:alert(1)`"),
        ("mkdocs.yml", 11, 5, "不允许引用站外的文件 `data:text/css,body{display:none}`"),
        ("mkdocs.yml", 13, 5, "文件路径 `../registry/site.yaml` 必须是不含 `..` 的相对路径"),
        ("mkdocs.yml", 14, 5, "找不到文件 content/assets/brands/nothing.css"),
    ],
    "theme-code": [
        ("mkdocs.yml", 1, 1, "不支持 INHERIT：mkdocs.yml 不能引用其他文件"),
        ("mkdocs.yml", 5, 5, "不支持 mkdocs 插件 `search`：dangjian 自己生成网站，不运行插件"),
        ("mkdocs.yml", 6, 5, "不支持 mkdocs 插件 `macros`：dangjian 自己生成网站，不运行插件"),
        ("mkdocs.yml", 9, 5, "不允许 hooks `scripts/hook.py`：mkdocs.yml 不能让生成网站时运行登记簿里的代码"),
        ("mkdocs.yml", 11, 5, "不支持 Markdown 扩展 `pymdownx.snippets`：正文的 Markdown 由 dangjian 统一处理"),
        ("mkdocs.yml", 13, 1, "不支持 nav：网站的导航由 dangjian 生成"),
    ],
    "theme-settings": [
        ("mkdocs.yml", 2, 1, "dangjian 不使用 mkdocs.yml 的 `site_author`"),
        ("mkdocs.yml", 4, 9, "theme.name 必须是 material（现在是 readthedocs）"),
        ("mkdocs.yml", 5, 13, "不认识的界面语言 `../../../etc/passwd`"),
        ("mkdocs.yml", 7, 14, '`red" onload="alert(1)` 里有不允许的字符'),
        ("mkdocs.yml", 10, 13, "找不到图标 `../../secret`"),
        ("mkdocs.yml", 13, 3, "dangjian 不使用 theme.locale"),
        ("mkdocs.yml", 14, 1, "dangjian 不使用 mkdocs.yml 的 `repo_url`"),
        ("mkdocs.yml", 15, 12, "`copyright` 必须是一段文字"),
        ("mkdocs.yml", 17, 3, "dangjian 不使用 extra.analytics"),
    ],
}
