"""The privacy gate's matching: whole ids, names in every encoding, public names that contain a private one."""

from __future__ import annotations

import json
from urllib.parse import quote

from dangjian.site.privacy import Gate
from dangjian.validate import validate

ROSTER = """- id: m-li
  name: 王东
  org: east
  status: 入党申请人
- id: m-zhou
  name: 周密
  org: east
  status: 入党申请人
"""


def gate(registry) -> Gate:
    return Gate(validate(registry({"registry/members/more.yaml": ROSTER})).registry)


def test_private_names_are_found_raw_escaped_and_percent_encoded(registry):
    g = gate(registry)
    for text in ("周密参加了", json.dumps("周密参加了"), json.dumps("周密", ensure_ascii=True), f"/q={quote('周密')}"):
        assert g.scan_text(text, "x.html"), text
    assert g.scan_text("一切正常", "x.html") == []


def test_ids_match_only_as_whole_tokens(registry):
    g = gate(registry)
    assert g.scan_text('<a href="/members/m-li/">', "x.html")
    assert g.scan_text("m-lin m-li-x xm-li", "x.html") == []


def test_a_private_name_inside_a_public_name_is_not_a_leak_there(registry):
    g = gate(registry)  # 王东方 (public secretary of east) contains the private 王东
    assert g.scan_text("书记王东方", "x.html") == []
    assert g.scan_text("书记王东方和王东", "x.html")


def test_identifiers_are_found_and_redacted(registry):
    g = gate(registry)
    assert g.scan_text("电话 13812345678", "x.html")[0].what == "手机号码"
    assert g.redact("周密改为王东方，电话13812345678") == "***改为王东方，电话***********"


def test_the_gate_and_the_rules_share_one_split_per_registry_and_never_another_s(registry, monkeypatch):
    """`rules.stories.lazy_names`: the gate and the rules asking about one registry split its members once; about
    another registry (a member made public since), that registry's own."""
    from dangjian import private
    from dangjian.rules.stories import lazy_names

    root = registry({"registry/members/more.yaml": ROSTER})
    reg = validate(root).registry
    split: list[int] = []
    real = private.split_members
    monkeypatch.setattr("dangjian.rules.stories.split_members", lambda *args: split.append(1) or real(*args))
    first = lazy_names(reg).lists()
    assert lazy_names(reg).lists() is first and Gate(reg).scan_text("周密", "x.html") and len(split) <= 1
    assert "周密" in {name for _, name, _ in first[0]}
    public = ROSTER.replace("  name: 周密\n", "  name: 周密\n  public: true\n")
    (root / "registry/members/more.yaml").write_text(public, encoding="utf-8")
    other = validate(root).registry
    assert "周密" not in {name for _, name, _ in lazy_names(other).lists()[0]}
    assert "周密" in lazy_names(other).lists()[1]
    assert Gate(other).scan_text("周密参加了", "x.html") == []


def test_over_unchanged_members_no_split_is_made_and_the_gate_still_finds_a_private_name(
    registry, tmp_path, monkeypatch
):
    """The names' key recalled (validation's memo) and their tables read back (the cache folder): neither the rules
    nor the gate split the members again; the gate still finds the private name."""
    from dangjian import private
    from dangjian.site.build import build

    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry({"registry/members/more.yaml": ROSTER})
    build(root, tmp_path / "site", with_search=False)  # the key remembered, the tables kept
    split: list[int] = []
    real = private.split_members
    monkeypatch.setattr("dangjian.rules.stories.split_members", lambda *args: split.append(1) or real(*args))
    monkeypatch.setattr(private, "_BUILT", None)  # as in a new process
    monkeypatch.setattr("dangjian.rules.stories._LAST", None)
    reg = validate(root).registry
    assert Gate(reg).scan_text("周密参加了", "x.html") and split == []
    (root / "registry/members/more.yaml").write_text(ROSTER.replace("周密", "周全"), encoding="utf-8")
    reg = validate(root).registry  # a member file changed: its key made again from the members
    assert Gate(reg).scan_text("周全参加了", "x.html") and not Gate(reg).scan_text("周密参加了", "x.html")
    assert split
