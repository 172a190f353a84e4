"""`dangjian diff`'s member counts follow today's rolls: a member who left (a `left` event) counts nowhere."""

from __future__ import annotations

from dangjian.diff import member_changes
from dangjian.validate import validate

LEFT = "  history:\n    - date: 2026-03-01\n      left: 转出\n"


def test_a_member_who_left_leaves_the_count_and_is_named_only_when_public(registry):
    root = registry()
    old = validate(root).registry
    members = root / "registry/members/east.yaml"
    text = members.read_text(encoding="utf-8")
    public_end = text.index("- id: m-east-a")  # m-east-sec (书记: public) ends where m-east-a begins
    private_end = text.index("- id: m-east-b")  # m-east-a (预备党员, private) ends where m-east-b begins
    text = text[:public_end] + LEFT + text[public_end:private_end] + LEFT + text[private_end:]
    members.write_text(text, encoding="utf-8")
    result = validate(root)
    assert result.problems == [], [p.message for p in result.problems]
    lines = list(member_changes(old, result.registry))
    assert lines == ["东村党支部（`east`）：预备党员 1 → 0，正式党员 1 → 0；公开党员移出 王东方"]
    assert "李小花" not in "".join(lines) and "转出" not in "".join(lines)
