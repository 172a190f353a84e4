"""A private member never appears on the site in any form; the privacy gate stops a build that would leak."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from site_helpers import INDEX_TEXTS, SEARCH_ENGINES, build_site, every_text, index_scanned
from dangjian.site.build import BuildError, build

SECRET_NAME = "甄秘密"
SECRET_ID = "m-zhen-mimi"
SECRET_PLACE = "秘密流入地"
OTHER_NAME = "贾隐藏"  # a private 副书记: public by post, made private explicitly

ROSTER = f"""- id: {SECRET_ID}
  name: {SECRET_NAME}
  org: east
  status: 正式党员
  joined: 2001-07-01
  born: 1971
  gender: 女
  posts: [组织委员]
  flow: {{direction: out, place: {SECRET_PLACE}, since: 2025-01-01}}
- id: m-jia-yincang
  name: {OTHER_NAME}
  org: east
  status: 正式党员
  joined: 1999-07-01
  posts: [副书记]
  public: false
"""


def planted(registry) -> Path:
    """The minimal registry with private members named in every place a member can be named."""
    root = registry({"registry/members/secret.yaml": ROSTER})
    acts = (root / "registry/activities/town-2026.yaml").read_text(encoding="utf-8")
    (root / "registry/activities/town-2026.yaml").write_text(
        acts.replace("[m-east-sec, m-east-a]", f"[m-east-sec, m-east-a, {SECRET_ID}, m-jia-yincang]"), encoding="utf-8"
    )
    project = (root / "registry/projects/east-2026-road.yaml").read_text(encoding="utf-8")
    (root / "registry/projects/east-2026-road.yaml").write_text(
        project.replace("team: [m-east-sec]", f"team: [m-east-sec, {SECRET_ID}, m-jia-yincang]"), encoding="utf-8"
    )
    ledger = root / "registry/points/ledger/secret.yaml"
    ledger.write_text(
        f"- member: {SECRET_ID}\n  date: 2026-03-01\n  rule: activity\n  note: 记一次\n", encoding="utf-8"
    )
    return root


def forms(secret: str) -> list[str]:
    return [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=True)[1:-1], quote(secret)]


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_private_members_appear_nowhere(registry, tmp_path, engine):
    root = planted(registry)
    site = build_site(root, tmp_path / "site", search=True, engine=engine)
    texts = dict(every_text(site))
    assert index_scanned(texts), "the search index was scanned"
    assert any("王东方" in t for t in texts.values()), "public members are shown (the test can fail)"
    for secret in (SECRET_NAME, SECRET_ID, SECRET_PLACE, OTHER_NAME, "m-jia-yincang"):
        for form in forms(secret):
            hits = [p for p, t in texts.items() if form in t]
            assert hits == [], f"{secret!r} as {form!r} leaked into {hits}"
    assert not (site / "members" / SECRET_ID).exists()


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_the_scan_reads_each_engine_s_page_texts(registry, tmp_path, engine):
    """The scan above can fail: a name put into one page's text in the index, as each engine stores it, is read."""
    site = build_site(registry(), tmp_path / "site", search=True, engine=engine)
    assert not [rel for rel, text in every_text(site) if SECRET_NAME in text]
    rel = next(rel for rel, text in every_text(site) if rel.startswith(INDEX_TEXTS) and "党" in text)
    unpacked = gzip.decompress((site / rel).read_bytes())
    (site / rel).write_bytes(gzip.compress(unpacked.replace("党".encode(), SECRET_NAME.encode(), 1)))
    assert rel in [found for found, text in every_text(site) if SECRET_NAME in text]


def test_the_gate_fails_a_build_that_would_leak_and_keeps_the_old_site(registry, tmp_path):
    root = planted(registry)
    out = build_site(root, tmp_path / "site")
    before = (out / "index.html").read_bytes()
    # Validation stops a story naming a private member; an org's summary is read by the gate alone.
    org = root / "registry/orgs/east.yaml"
    org.write_text(org.read_text(encoding="utf-8") + f"summary: {SECRET_NAME}也参加了。\n", encoding="utf-8")
    with pytest.raises(BuildError) as failure:
        build(root, out, with_search=False)
    assert "orgs/east/index.html" in str(failure.value)
    assert SECRET_NAME not in str(failure.value)
    assert (out / "index.html").read_bytes() == before


def test_small_aggregates_are_suppressed(registry, tmp_path):
    site = build_site(registry(), tmp_path / "site")
    from site_helpers import article

    body = article(site, "orgs/west/")  # one member
    stats = body.select(".dj-stat")
    assert any("少于5人" in s.get_text() and "在册人数" in s.get_text() for s in stats)
    assert "1" not in [s.select_one(".dj-stat__value").get_text(strip=True) for s in stats]


def test_the_gate_memo_never_hides_a_leak(registry, tmp_path):
    """Files found clean are remembered by (bytes, gate): a member made private, or a changed file, is scanned again."""
    from dangjian.site.privacy import Gate
    from dangjian.validate import validate

    root = planted(registry)
    site = build_site(root, tmp_path / "site")
    memo = tmp_path / "memo"
    gate = Gate(validate(root).registry)
    assert gate.scan_tree(site, memo) == []
    assert list((memo / "gate").glob("*.clean"))
    # The same bytes with a new secret: a public member made private shows on the pages already built.
    assert any("赵大年" in text for _, text in every_text(site))
    roster = root / "registry/members/east.yaml"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("  public: true\n", "  public: false\n", 1), encoding="utf-8")
    stricter = Gate(validate(root).registry)
    assert "赵大年" in stricter.secrets
    assert stricter.scan_tree(site, memo), "the memo of the old gate hid a leak"
    # A file changed after it was found clean is scanned again.
    page = site / "index.html"
    page.write_text(page.read_text(encoding="utf-8") + SECRET_NAME, encoding="utf-8")
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["index.html"]


def test_the_gate_finds_the_same_leaks_on_one_core_and_many(registry, tmp_path, monkeypatch):
    from dangjian.site import privacy
    from dangjian.validate import validate

    root = planted(registry)
    site = build_site(root, tmp_path / "site", search=True)
    for n in range(0, 300, 50):  # enough files to take the parallel path, some of them leaking
        (site / f"extra-{n}.html").write_text(f"<p>{SECRET_NAME if n % 100 == 0 else '无'}</p>", encoding="utf-8")
    gate = privacy.Gate(validate(root).registry)
    parallel = gate.scan_tree(site)
    monkeypatch.setattr(privacy, "_PARALLEL_FROM", 10**9)
    assert gate.scan_tree(site) == parallel
    assert sorted(leak.file for leak in parallel) == ["extra-0.html", "extra-100.html", "extra-200.html"]
