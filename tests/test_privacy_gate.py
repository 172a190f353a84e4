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
