"""Bad cases of the reader-cli area: cycles reported on every record, YAML slips of a Chinese keyboard, ids."""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # A cycle is reported on every record in it, so a pull request's annotation lands on the file it touched.
    "cli-org-cycle-three": [
        ("registry/orgs/mid.yaml", 4, 9, "组织的上级关系形成了循环：mid → north → south → mid"),
        ("registry/orgs/north.yaml", 4, 9, "组织的上级关系形成了循环：north → south → mid → north"),
        ("registry/orgs/south.yaml", 4, 9, "组织的上级关系形成了循环：south → mid → north → south"),
    ],
    "cli-brand-own-parent": [
        ("registry/brands/blue.yaml", 4, 9, "品牌的上级关系形成了循环：blue → blue"),
    ],
}

# Ids are at most 64 characters (a 302-character member id passed and crashed the build).
CASES["cli-id-too-long"] = [
    ("registry/members/west.yaml", 7, 7, "编号太长（302 个字符）：最多 64 个字符"),
]
# base_url reaches every page's canonical link, the sitemap and the feeds: an http(s) address and nothing else.
CASES["cli-base-url-javascript"] = [
    (
        "registry/site.yaml",
        3,
        11,
        "`javascript:alert(1)//` 不符合格式：以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）",
    ),
]
CASES["cli-base-url-markup"] = [
    (
        "registry/site.yaml",
        3,
        11,
        '`https://example.org/"><script>alert(1)</script>/` 不符合格式：'
        "以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）",
    ),
]

# Slips of a Chinese keyboard, named where they are and in Chinese (libyaml pointed at line 12 of
# an 11-line file, in English, with no word about the full-width colon).
CASES["cli-fullwidth-colon"] = [
    ("registry/orgs/east.yaml", 11, 8, "YAML 格式错误：键 `summary` 后面是全角冒号“：”"),
]
CASES["cli-fullwidth-colon-item"] = [
    ("registry/brands/red.yaml", 8, 5, "这里应是映射（键: 值），而不是`name：党员积分履责制`"),
]
CASES["cli-fullwidth-indent"] = [
    ("registry/members/west.yaml", 6, 1, "YAML 格式错误：缩进里有全角空格"),
]
CASES["cli-fullwidth-colon-front-matter"] = [  # a story's front matter: lines count from the file's first line
    ("content/stories/east-road.md", 3, 5, "YAML 格式错误：键 `date` 后面是全角冒号“：”"),
]
