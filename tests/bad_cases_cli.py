"""Bad cases of the reader-cli area: cycles reported on every record, YAML slips of a Chinese keyboard, ids."""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # A cycle is reported on every record in it, so a pull request's annotation lands on the file it touched.
    'cli-org-cycle-three': [
        ('registry/orgs/mid.yaml', 4, 9, '组织的上级关系形成了循环：mid → north → south → mid'),
        ('registry/orgs/north.yaml', 4, 9, '组织的上级关系形成了循环：north → south → mid → north'),
        ('registry/orgs/south.yaml', 4, 9, '组织的上级关系形成了循环：south → mid → north → south'),
    ],
    'cli-brand-own-parent': [
        ('registry/brands/blue.yaml', 4, 9, '品牌的上级关系形成了循环：blue → blue'),
    ],
}

# Ids are at most 64 characters (a 302-character member id passed and crashed the build).
CASES['cli-id-too-long'] = [
    ('registry/members/west.yaml', 7, 7, '编号太长（302 个字符）：最多 64 个字符'),
]
# base_url reaches every page's canonical link, the sitemap and the feeds: an http(s) address and nothing else.
CASES['cli-base-url-javascript'] = [
    ('registry/site.yaml', 3, 11, '`javascript:alert(1)//` 不符合格式：以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）'),
]
CASES['cli-base-url-markup'] = [
    ('registry/site.yaml', 3, 11, '`https://example.org/"><script>alert(1)</script>/` 不符合格式：以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）'),
]
