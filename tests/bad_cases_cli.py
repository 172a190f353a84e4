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
