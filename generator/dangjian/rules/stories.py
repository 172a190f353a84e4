"""Stories name only public members."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, is_public
from ..problems import Problem


def public_members_only(reg: Registry) -> Iterator[Problem]:
    """Every member a story names is public."""
    for story in reg.all("story"):
        for index, member_id in enumerate(story.get("members", [])):
            member = reg.members.get(member_id)
            if member is not None and not is_public(member):
                yield story.problem(("members", index), f"党员 `{member_id}` 不公开，典型事迹不能提到他/她",
                                    f"删除这个编号，或经本人同意后在 {member.file} 里写 `public: true`", "private-member")
