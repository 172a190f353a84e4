"""The organization tree and the brand tree: root, parents, cycles, secretaries, pairing."""

from __future__ import annotations

from collections.abc import Iterator

from ..load import Record
from ..model import Registry, reads
from ..problems import Problem


def root_org(reg: Registry) -> Iterator[Problem]:
    """The site's root org has no parent."""
    site = reg.settings
    root = reg.orgs.get(site.get("root")) if site is not None else None
    if root is not None and root.get("parent"):
        yield root.problem(
            ("parent",),
            f"`{root.id}` 是网站的最上级组织（site.yaml 的 root），不能有上级",
            "删除 parent，或在 site.yaml 里改 root",
            "root-parent",
        )


def parents(reg: Registry) -> Iterator[Problem]:
    """Every org but the site's root names its parent."""
    site = reg.settings
    root_id = site.get("root") if site is not None else None
    if root_id is None:
        return  # site.yaml missing or unreadable (reported there): which org is the top is not known
    for org in reg.all("org"):
        if org.id != root_id and "parent" not in org.data and org.id is not None:
            yield org.problem(
                (),
                "缺少上级组织 `parent`",
                f"添加 `parent: 上级组织编号`（只有网站的最上级组织 `{root_id}` 不写）",
                "missing-parent",
            )


def _cycles(records: dict[str, Record], title: str) -> Iterator[Problem]:
    """Each record of each parent cycle, at its own `parent`: a pull request's annotation lands on every file of
    the loop.
    """
    reported: set[str] = set()
    for start in records:
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in records and current not in chain:
            chain.append(current)
            current = records[current].get("parent")
        if current is None or current not in chain or current in reported:
            continue
        loop = chain[chain.index(current) :]
        reported.update(loop)
        for position, member in enumerate(loop):
            path = " → ".join(loop[position:] + loop[:position] + [member])
            yield records[member].problem(
                ("parent",),
                f"{title}的上级关系形成了循环：{path}",
                "检查这些记录的 parent：上级链最终要到达最上级",
                "cycle",
            )


def org_cycles(reg: Registry) -> Iterator[Problem]:
    """No org is its own ancestor."""
    yield from _cycles(reg.orgs, "组织")


def brand_cycles(reg: Registry) -> Iterator[Problem]:
    """No brand is its own umbrella."""
    yield from _cycles(reg.brands, "品牌")


@reads(member=("org", "posts"))
def secretary_holds_post(reg: Registry) -> Iterator[Problem]:
    """An org's secretary is a member of that org holding the post 书记."""
    for org in reg.all("org"):
        member = reg.members.get(org.get("secretary"))
        if member is None:
            continue  # unknown ids are reported by the reference rule
        if member.get("org") != org.id:
            yield org.problem(
                ("secretary",),
                f"书记 `{member.id}` 不属于本组织（他/她在 `{member.get('org')}`）",
                f"把该党员的 org 改为 {org.id}，或换一位书记",
                "secretary",
            )
        elif "书记" not in member.get("posts", []):
            yield org.problem(
                ("secretary",),
                f"`{member.id}` 没有担任书记职务",
                f"在 {member.file} 里给该党员加上 `posts: [书记]`",
                "secretary",
            )


def benchmark_pairing(reg: Registry) -> Iterator[Problem]:
    """A benchmark pairs a weak org with another org that is not weak."""
    for org in reg.all("org"):
        target = org.get("benchmark")
        if target is None:
            continue
        if target == org.id:
            yield org.problem(("benchmark",), "组织不能与自己结对", "填写另一个标杆组织的编号", "benchmark")
        elif org.get("weak") is not True:
            yield org.problem(
                ("benchmark",), "只有薄弱组织才有结对的标杆组织", "加上 `weak: true`，或删除 benchmark", "benchmark"
            )
        elif target in reg.orgs and reg.orgs[target].get("weak") is True:
            yield org.problem(
                ("benchmark",), f"标杆组织 `{target}` 自己也标为薄弱组织", "换一个不是薄弱组织的标杆", "benchmark"
            )


def dates_in_order(reg: Registry) -> Iterator[Problem]:
    """An org is not dissolved before it was founded."""
    for org in reg.all("org"):
        founded, dissolved = org.get("founded"), org.get("dissolved")
        if founded and dissolved and dissolved < founded:
            yield org.problem(("dissolved",), f"撤销日期 {dissolved} 早于成立日期 {founded}", "检查两个日期", "dates")
