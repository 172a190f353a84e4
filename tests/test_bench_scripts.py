"""Smoke tests of the benchmark scripts' pure parts: nothing is timed, no speed is asserted."""

from __future__ import annotations

import copy
import datetime
import gzip
import importlib.util
import json
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO

BENCH = REPO / "bench"
SVG = "{http://www.w3.org/2000/svg}"


def _module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chart():
    return _module("chart")


@pytest.fixture(scope="module")
def scale():
    return _module("scale")


def _figure(wall: float) -> dict:
    return {"label": "x", "wall_s": wall, "cpu_s": wall, "peak_mib": 100.0, "peer": "", "note": "", "runs": []}


def _result(*points: tuple[str, int, float, float]) -> dict:
    return {
        "scales": [
            {
                "scale": name,
                "pages": pages,
                "figures": {"build_cold": _figure(ours), "peer_hugo_pagefind": _figure(peer)},
            }
            for name, pages, ours, peer in points
        ]
    }


def test_chart_has_a_point_per_size_per_series(chart, tmp_path):
    first = tmp_path / "small.json"
    first.write_text(json.dumps(_result(("town", 120, 4.0, 2.0), ("county", 1800, 30.0, 8.0))), encoding="utf-8")
    second = tmp_path / "city.json"
    second.write_text(json.dumps(_result(("city", 36000, 400.0, 90.0))), encoding="utf-8")
    out = tmp_path / "chart.svg"
    assert chart.main([str(first), str(second), "--out", str(out)]) == 0
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script")) and "http" not in out.read_text().replace(SVG[1:-1], "")
    points = [el for el in root.iter() if "point" in (el.get("class") or "").split()]
    for series in ("ours", "peer"):
        scales = sorted(el.get("data-scale") for el in points if series in el.get("class").split())
        assert scales == ["city", "county", "town"]
    text = "".join(root.itertext())
    assert "×2.0" in text and "×3.8" in text and "×4.4" in text  # ratios at city, county, town
    assert "36,000" in text


def test_a_later_file_replaces_a_scale(chart, tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_result(("county", 1800, 30.0, 8.0))), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(_result(("county", 1800, 20.0, 10.0))), encoding="utf-8")
    [point] = chart.load_points([old, new])
    assert (point.ours, point.peer, point.ratio) == (20.0, 10.0, 2.0)


def test_chart_survives_a_missing_peer(chart):
    svg = chart.render_svg([chart.Point("county", 1800, 30.0, None)])
    root = ET.fromstring(svg)
    assert len([el for el in root.iter() if "point" in (el.get("class") or "")]) == 1


def test_nice_ticks(chart):
    assert chart.nice_ticks(0, 50, log=False) == [0, 10, 20, 30, 40, 50]
    assert chart.nice_ticks(1.5, 700, log=True) == [2, 5, 10, 20, 50, 100, 200, 500]


def test_tree_stats_counts_pages_and_the_largest_file(scale, tmp_path):
    (tmp_path / "orgs" / "a").mkdir(parents=True)
    (tmp_path / "index.html").write_bytes(b"x" * 100)
    (tmp_path / "orgs" / "a" / "index.html").write_bytes(b"x" * 300)
    (tmp_path / "big.js").write_bytes(b"x" * 1000)
    stats = scale.tree_stats(tmp_path)
    assert (stats.files, stats.html_files, stats.html_bytes, stats.total_bytes) == (3, 2, 400, 1400)
    assert (stats.largest_path, stats.largest_bytes, stats.average_html_bytes) == ("big.js", 1000, 200)
    assert scale.page_url(tmp_path, tmp_path / "orgs" / "a" / "index.html") == "/orgs/a/"
    assert scale.page_url(tmp_path, tmp_path / "index.html") == "/"


def test_the_indexed_part_of_a_page_becomes_markdown(scale):
    page = (
        '<html><nav><div>菜单</div></nav><div data-pagefind-body><h1 id="dj-title">上余村 &amp; 党支部</h1>'
        '<div class="x"><p>第一段 *重点*</p><table><tr><td>正式党员</td><td>5</td></tr></table></div>'
        "<div hidden>简体</div></div><footer>页脚</footer></html>"
    )
    body = scale.pagefind_body(page)
    assert "菜单" not in body and "页脚" not in body and "简体" in body
    title, markdown = scale.html_to_markdown(body)
    assert title == "上余村 & 党支部"
    assert markdown.split("\n\n") == [r"第一段 \*重点\*", "正式党员 5", "简体"]


def test_format_table_and_targets(scale):
    def figure(label, wall, peer="hugo+pagefind", peak=100.0):
        return {
            "label": label,
            "wall_s": wall,
            "cpu_s": wall * 1.5,
            "peak_mib": peak,
            "peer": peer,
            "note": "",
            "runs": [{"wall_s": wall, "cpu_s": wall, "peak_kib": 1}],
        }

    record = {
        "scale": "county",
        "pages": 1807,
        "files": 1723,
        "records": 64123,
        "peer_pages": 1807,
        "figures": {
            "validate_cold": figure("validate, cold cache", 8.0),
            "validate_touched": figure("validate, one org file changed", 0.5),
            "build_cold": figure("build, cold (search)", 30.0, peak=3000.0),
            "build_cold_no_search": figure("build, cold, --no-search", 20.0, peer="hugo"),
            "build_org": figure("build, one org file changed (search)", 4.0),
            "build_result": figure("build, one result file changed (search)", 6.0),
            "build_none": figure("build, nothing changed (search)", 1.5),
            "python_import": figure("Python started, dangjian imported", 0.25, peer=""),
            "peer_hugo": figure("peer: Hugo", 5.0, peer=""),
            "peer_hugo_pagefind": figure("peer: Hugo + Pagefind", 10.0, peer=""),
        },
        "site": {
            "total_bytes": 48_000_000,
            "files": 3725,
            "html_files": 1808,
            "html_bytes": 26_000_000,
            "largest_path": "assets/x.map",
            "largest_bytes": 1_026_705,
            "average_html_bytes": 14_380.5,
        },
        "peer_site": {
            "total_bytes": 30_000_000,
            "files": 3000,
            "html_files": 1809,
            "html_bytes": 22_000_000,
            "largest_path": "p.html",
            "largest_bytes": 10,
            "average_html_bytes": 12_000.0,
        },
        "search": {
            "query": "乡村振兴",
            "method": "estimate",
            "bytes": 367_000,
            "gzip_bytes": 196_000,
            "results": 5,
            "note": "",
            "files": [{"path": "pagefind/pagefind.js", "bytes": 1, "gzip_bytes": 1}],
        },
    }
    record["ratios"] = scale.ratios(record)
    assert record["ratios"]["build_cold"] == {"wall": 3.0, "cpu": 3.0}
    assert record["ratios"]["build_cold_no_search"]["wall"] == 4.0  # over Hugo alone
    assert "peer_hugo" not in record["ratios"]
    record["targets"] = scale.targets(record)
    judged = {t["target"]: t for t in record["targets"]}
    met = {name: t["met"] for name, t in judged.items()}
    assert list(met) == [
        "build after one org file changed, search included",
        "build after one roster file changed, search included",
        "build after one member's admission day changed, search included",
        "build after one points entry added, search included",
        "build after one result file changed, search included",
        "build after one story changed, search included",
        "serve: save → browser shows the change",
        "build, cold, search included ÷ Hugo + Pagefind",
        "build, cold, --no-search ÷ Hugo",
        "validate, cold",
        "validate, after one change",
        "peak memory of a build (its process tree)",
        "a Chinese query's download",
        "largest output file (exports included)",
    ]
    assert met["validate, cold"] is True
    assert met["validate, after one change"] is True
    assert met["build, cold, search included ÷ Hugo + Pagefind"] is False  # ×3.0
    assert met["build, cold, --no-search ÷ Hugo"] is False  # ×4.0 against ≤ ×3
    assert met["build after one org file changed, search included"] is False  # 4 s against county's 1 s
    assert met["build after one roster file changed, search included"] is None  # not measured
    assert met["serve: save → browser shows the change"] is None
    assert met["peak memory of a build (its process tree)"] is False
    assert met["a Chinese query's download"] is False
    assert met["largest output file (exports included)"] is False
    assert judged["largest output file (exports included)"]["shown"] == "assets/x.map 1,027 KB"
    assert judged["build after one org file changed, search included"]["wanted"] == "≤ 1 s (county)"
    # at city scale the same rebuild meets the city's limit (5 s), and peak memory counts builds only
    city = copy.deepcopy({**record, "scale": "city"})
    city["figures"]["validate_cold"]["peak_mib"] = 9000.0
    city["figures"]["build_cold"]["peak_mib"] = 1000.0
    as_city = {t["target"]: t for t in scale.targets(city)}
    assert as_city["build after one org file changed, search included"]["met"] is True
    assert as_city["build after one result file changed, search included"]["met"] is False  # 6 s
    assert as_city["build after one org file changed, search included"]["wanted"] == "≤ 5 s (city)"
    assert as_city["serve: save → browser shows the change"]["wanted"] == "≤ 3 s (city)"
    assert as_city["peak memory of a build (its process tree)"]["met"] is True
    table = scale.format_table(record)
    lines = table.splitlines()
    assert lines[0] == "county: 1,807 pages, 1,723 files, 64,123 records"
    row = next(line for line in lines if line.startswith("build, cold (search)"))
    assert row.split()[-7:] == ["30.00", "45.00", "3000", "-", "3.00", "3.00", "1"]
    assert lines.index(row) < lines.index(next(line for line in lines if line.startswith("peer: Hugo ")))
    cold = next(line for line in lines if line.startswith("  build, cold, search included"))
    assert cold.endswith("NOT MET") and "×3.00" in cold and "≤ ×1.0" in cold
    # a rebuild not met is followed by its floor: here a build after no change is over the limit by itself
    org = lines.index(next(line for line in lines if line.startswith("  build after one org file changed")))
    assert lines[org + 2] == (
        "      floor: a build after no change 1.50 s (of which Python started and dangjian imported 0.25 s): over the "
        "limit by itself, any rebuild pays it"
    )
    assert judged["build after one result file changed, search included"]["floor"].startswith("a build after no ")
    assert not judged["validate, after one change"]["floor"]  # met: no floor told
    assert judged["build after one org file changed, search included"]["floor_s"] == 1.5
    assert judged["validate, after one change"]["floor_s"] is None
    assert not judged["build after one roster file changed, search included"]["floor"]  # not measured
    # at city the floor is under the limit: the change's own work is what is over
    assert as_city["build after one result file changed, search included"]["floor"].endswith(
        "the change's own work, 4.50 s, is what is over"
    )
    assert not as_city["build after one org file changed, search included"]["floor"]  # met
    city["figures"]["validate_touched"] = figure("validate, one org file changed", 1.5)
    city["figures"]["validate_warm"] = figure("validate, warm cache, no change", 1.25)
    told = {t["target"]: t for t in scale.targets(city)}["validate, after one change"]["floor"]
    assert told == (
        "a validation after no change 1.25 s (of which Python started and dangjian imported 0.25 s): over the limit "
        "by itself, any validation pays it"
    )
    assert "floor" not in next(line for line in lines if line.startswith("  validate, cold "))
    assert next(line for line in lines if line.startswith("build, nothing changed (search)")).split()[-1] == "1"
    assert next(line for line in lines if line.startswith("  validate, cold ")).endswith("met")
    assert next(line for line in lines if line.startswith("  serve:")).endswith("not measured")
    assert "  largest output file (exports included)" in table and "assets/x.map 1,027 KB" in table


def test_chunks_for_a_query_and_the_cbor_of_pagefind_meta(scale, tmp_path):
    chunks = [("0", "11", "a"), ("110", "乡", "b"), ("乡村", "振", "c"), ("振兴", "龟", "d")]
    assert scale.chunks_for("乡村振兴", chunks) == ["b", "c", "d"]
    # pagefind_dcd + CBOR ["1.5.2", [["p1", 3]], [["a", "z", "c1"]], [], [], []]
    cbor = b"\x86" + b"\x651.5.2" + b"\x81\x82\x62p1\x03" + b"\x81\x83\x61a\x61z\x62c1" + b"\x80\x80\x80"
    bundle = tmp_path / "pagefind"
    bundle.mkdir()
    (bundle / "pagefind-entry.json").write_text(json.dumps({"languages": {"zh": {"hash": "zh_1", "wasm": None}}}))
    (bundle / "pagefind.zh_1.pf_meta").write_bytes(gzip.compress(b"pagefind_dcd" + cbor))
    assert scale.pagefind_meta(bundle) == ("pagefind.zh_1.pf_meta", [("a", "z", "c1")], ["p1"])


def test_registry_options(scale, tmp_path):
    assert scale.parse_registries([str(tmp_path)], ["county"]) == {"county": tmp_path.resolve()}
    assert scale.parse_registries([f"city={tmp_path}"], ["town", "city"]) == {"city": tmp_path.resolve()}
    with pytest.raises(SystemExit):
        scale.parse_registries([str(tmp_path)], ["town", "city"])


def test_the_edits_keep_the_yaml_valid(scale, tmp_path):
    import yaml

    reg = tmp_path / "registry"
    files = {
        "orgs/c000/a.yaml": 'id: a\nname: "甲村"\nsummary: "推动乡村振兴。"\n',
        "orgs/c000/b.yaml": "id: b\nname: 乙村\nsummary: 推动乡村振兴。\n",
        "members/c000/a.yaml": (
            '- id: m1\n  name: "张三丰"\n  born: 1960\n'
            '- id: m2\n  name: "李四"\n  status: "预备党员"\n  joined: 2021-05-03\n'
            '- id: m3\n  name: "王五"\n  status: 正式党员\n  joined: 2001-05-03\n  history:\n  - {date: 2002-01-01}\n'
            '- id: m4\n  name: "赵六"\n  status: "正式党员"\n  joined: 2001-03-01\n'
        ),
        "points/ledger/c000/a.yaml": "- member: m4\n  date: 2025-03-01\n  rule: study\n",
        "assessments/results/s/2024-Q1.yaml": "scheme: s\nscores:\n  a:\n    work: 31.7\n    service: 12.5\n",
        "../content/stories/c000/s1.md": "---\ntitle: 故事\ndate: 2025-08-08\n---\n第一段。\n\n第二段。\n",
    }
    for rel, text in files.items():
        (reg / rel).parent.mkdir(parents=True, exist_ok=True)
        (reg / rel).write_text(text, encoding="utf-8")
    for step in range(2):
        for _key, _label, edit in scale.EDITS:
            path = edit(tmp_path, step)
            text = path.read_text(encoding="utf-8")
            yaml.safe_load(text.split("---\n")[1] if path.suffix == ".md" else text)  # a story: its front matter
    summaries = {yaml.safe_load((reg / f"orgs/c000/{n}.yaml").read_text(encoding="utf-8"))["summary"] for n in "ab"}
    assert all(s.startswith("修改") and s.endswith("推动乡村振兴。") for s in summaries)
    members = yaml.safe_load((reg / "members/c000/a.yaml").read_text(encoding="utf-8"))
    assert members[0]["born"] == 1962
    # the admission day of the first 正式党员 without a history, a day earlier each step; the others as they were
    assert [m.get("joined") for m in members[1:]] == [
        datetime.date(2021, 5, 3),
        datetime.date(2001, 5, 3),
        datetime.date(2001, 2, 27),
    ]
    entries = yaml.safe_load((reg / "points/ledger/c000/a.yaml").read_text(encoding="utf-8"))
    assert [(e["member"], e["date"], e["rule"]) for e in entries] == [
        ("m4", datetime.date(2025, 3, 1), "study"),
        ("m4", datetime.date(2025, 3, 2), "study"),
        ("m4", datetime.date(2025, 3, 2), "study"),  # the first entry's, a day later, each step
    ]
    work = yaml.safe_load((reg / "assessments/results/s/2024-Q1.yaml").read_text(encoding="utf-8"))["scores"]["a"][
        "work"
    ]
    assert 40 <= work <= 50
    story = (tmp_path / "content/stories/c000/s1.md").read_text(encoding="utf-8")
    front, body = story.split("---\n")[1:]
    assert yaml.safe_load(front)["title"] == "故事"
    assert body == "第一段。\n\n第二段。第1次修改补充了一句。第2次修改补充了一句。\n"


def test_markdown_table_puts_scales_side_by_side(chart, tmp_path):
    def record(name, pages, ours, peer):
        figures = {"build_cold": {**_figure(ours), "peer": "hugo+pagefind"}, "peer_hugo_pagefind": _figure(peer)}
        return {
            "scale": name,
            "pages": pages,
            "records": pages * 30,
            "figures": figures,
            "ratios": {"build_cold": {"wall": ours / peer, "cpu": 1.0}},
            "site": {"total_bytes": 31_400_000, "average_html_bytes": 14_500, "largest_bytes": 1_026_705},
            "search": {"bytes": 367_000, "gzip_bytes": 196_000},
        }

    path = tmp_path / "r.json"
    path.write_text(
        json.dumps({"scales": [record("city", 36000, 400.0, 100.0), record("county", 1800, 30.0, 12.0)]}),
        encoding="utf-8",
    )
    table = chart.markdown_table(chart.load_records([path]))
    lines = table.splitlines()
    assert lines[0] == "| | 县 county | 市 city |"
    assert all(line.count("|") == 4 for line in lines)
    assert "| build, cold | 30 s (×2.5) | 400 s (×4.0) |" in lines
    assert not any(line.startswith("| validate, cold cache |") for line in lines)  # measured at no scale: no row
    assert "| largest file | 1,027 KB | 1,027 KB |" in lines


def test_markdown_table_sets_before_beside_now(chart, tmp_path):
    def record(name, ours, peer, story=None):
        figures = {"build_cold": _figure(ours), "peer_hugo_pagefind": _figure(peer)}
        if story is not None:
            figures["build_story"] = _figure(story)
        return {"scale": name, "pages": 1800, "figures": figures, "ratios": {"build_cold": {"wall": ours / peer}}}

    before = [record("county", 12.0, 5.0)]
    now = [record("town", 3.0, 1.5), record("county", 4.0, 5.0, story=0.5)]
    lines = chart.markdown_table(now, before).splitlines()
    assert lines[0] == "| | 镇 town | 县 county, before | 县 county, now |"
    assert all(line.count("|") == 5 for line in lines)
    assert "| build, cold | 3.0 s (×2.0) | 12 s (×2.4) | 4.0 s (×0.8) |" in lines
    assert "| build, one story changed | - | - | 0.5 s |" in lines
    lines = chart.markdown_table(now[:1], before).splitlines()  # county measured before only: its now is empty
    assert lines[0] == "| | 镇 town | 县 county, before | 县 county, now |"
    assert "| build, cold | 3.0 s (×2.0) | 12 s (×2.4) | - |" in lines
    svg = ET.fromstring(chart.render_svg(chart.points_of({"scales": now}), chart.points_of({"scales": before})))
    earlier = [el for el in svg.iter() if "before" in (el.get("class") or "").split()]
    assert [el.get("data-scale") for el in earlier] == ["county"]
    assert "was ×2.4" in "".join(svg.itertext())


def test_targets_table_reads_what_scale_judged(chart):
    def judged(name, met, shown, wanted):
        return {"target": name, "met": met, "shown": shown, "wanted": wanted, "value": 1, "limit": 1, "note": ""}

    records = [
        {
            "scale": "county",
            "targets": [
                judged("rebuild", True, "0.8 s", "≤ 1 s (county)"),
                judged("serve", None, "not measured", "≤ 1 s (county)"),
            ],
        },
        {
            "scale": "city",
            "targets": [
                {**judged("rebuild", False, "9.0 s", "≤ 5 s (city)"), "floor_s": 6.76},
                judged("serve", True, "2.0 s", "≤ 3 s (city)"),
            ],
        },
    ]
    lines = chart.targets_table(records).splitlines()
    assert lines[0] == "| target | wanted | 县 county | 市 city |"
    assert lines[2] == "| rebuild | ≤ 1 s (county) / ≤ 5 s (city) | met (0.8 s) | **not met** (9.0 s; floor 6.76 s) |"
    assert lines[3] == "| serve | ≤ 1 s (county) / ≤ 3 s (city) | not measured | met (2.0 s) |"
    assert chart.targets_table([{"scale": "city", "targets": [{"target": "old", "met": True, "shown": "x"}]}]) == ""


def test_timed_tree_sums_a_process_tree(scale):
    import sys as system

    child = "import time; x = bytearray(30 * 2**20); time.sleep(0.8)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}]); print('ok')"
    run = scale.timed_tree([system.executable, "-c", parent], interval=0.05)
    assert run.returncode == 0 and run.stdout.strip() == "ok"
    assert run.tree_kib >= 30 * 1024  # the child's buffer is seen through its parent
    assert run.wall > 0 and run.cpu > 0


def test_tree_stats_sets_the_open_data_exports_apart(scale, tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api/projects.json").write_bytes(b"x" * 300)
    (tmp_path / "sitemap.xml").write_bytes(b"x" * 200)
    (tmp_path / "index.html").write_bytes(b"x" * 100)
    stats = scale.tree_stats(tmp_path)
    assert (stats.largest_path, stats.largest_export_path, stats.largest_other_path) == (
        "api/projects.json",
        "api/projects.json",
        "sitemap.xml",
    )


def test_the_rebuild_script_prints_both_builds(tmp_path):
    import subprocess

    done = subprocess.run(
        [sys.executable, str(REPO / "bench/rebuild.py"), "--scale", "town", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "MiB" in line]
    assert [line.split(":")[0].strip() for line in lines] == ["build, cold", "build, one org file changed"]
    assert (tmp_path / "site/index.html").is_file()


def test_the_rebuild_script_makes_the_edits_asked_for_in_the_order_given(tmp_path):
    import subprocess

    script = [sys.executable, str(REPO / "bench/rebuild.py"), "--scale", "town", "--work", str(tmp_path)]
    done = subprocess.run(
        [*script, "--edits", "story,roster", "--repeat", "2"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split(":")[0].strip() for line in done.stdout.splitlines() if "MiB" in line]
    assert lines == ["build, cold"] + ["build, one story changed"] * 2 + ["build, one roster file changed"] * 2
    refused = subprocess.run([*script, "--edits", "budget"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "unknown edit 'budget'" in refused.stderr


def test_serve_is_measured_through_serve_reload_or_said_not_measured(scale, monkeypatch, tmp_path):
    import types

    monkeypatch.setattr(scale, "SERVE_RELOAD", tmp_path / "absent.py")
    figure, note = scale.measure_serve("county", tmp_path, 1)
    assert figure is None and note.startswith("not measured: bench/serve_reload.py does not exist")
    monkeypatch.setattr(scale, "SERVE_RELOAD", BENCH / "scale.py")  # any file that exists
    calls = []

    def measure(name, work, edits, search):
        calls.append((name, edits, search))
        return [types.SimpleNamespace(total=t, cpu=0.5) for t in (0.9, 1.4, 0.7)]

    monkeypatch.setitem(sys.modules, "serve_reload", types.SimpleNamespace(measure=measure))
    figure, note = scale.measure_serve("county", tmp_path, 1)
    assert calls == [("county", 3, True)]  # at least three edits, with search
    assert figure.key == "serve_reload" and figure.wall == 0.9 and "3 edits" in note

    def broken(*args):
        raise RuntimeError("serve said nothing expected")

    monkeypatch.setitem(sys.modules, "serve_reload", types.SimpleNamespace(measure=broken))
    figure, note = scale.measure_serve("county", tmp_path, 1)
    assert figure is None and "serve said nothing expected" in note


def test_cold_builds_ask_for_cold_only_where_build_offers_it(scale, monkeypatch):
    monkeypatch.setattr(scale, "build_offers_cold", lambda: True)
    assert scale.build_cmd(REPO, REPO / "o", search=False, cold=True)[-2:] == ["--no-search", "--cold"]
    assert "--cold" not in scale.build_cmd(REPO, REPO / "o")
    monkeypatch.setattr(scale, "build_offers_cold", lambda: False)
    assert "--cold" not in scale.build_cmd(REPO, REPO / "o", cold=True)


def test_province_fits_the_merge_and_adds_the_terms(tmp_path):
    province = _module("province")
    a, b = province.fit_line([(1000, 1.5), (2000, 2.5), (3000, 3.5)])
    assert (round(a, 9), round(b, 9)) == (0.5, 0.001)
    assert province.fit_line([(1000, 2.0), (1000, 4.0)]) == (3.0, 0.0)
    city = tmp_path / "city.json"
    figures = {
        "build_cold": {"wall_s": 100.0, "cpu_s": 90.0},
        "build_org": {"wall_s": 4.0, "cpu_s": 3.0},
        "build_story": {"wall_s": 6.0, "cpu_s": 5.0},
        "build_roster": {"wall_s": None},
    }
    record = {"scale": "city", "pages": 27000, "figures": figures, "site": {"files": 50_000}}
    city.write_text(json.dumps({"commit": {"commit": "abc"}, "scales": [record]}), encoding="utf-8")
    found = province.city_figures(city)
    assert (found["cold_s"], found["one_change_s"], found["one_change_cpu_s"], found["one_change_key"]) == (
        100.0,
        6.0,
        5.0,
        "build_story",
    )
    assert found["files"] == 50_000 and found["commit"] == "abc"
    result = {
        "merge_fit": {"a_s": 0.5, "b_s_per_file": 0.0001, "cpu_a_s": 0.25, "cpu_b_s_per_file": 0.00005},
        "figures": {"artifact": {"files": 1000, "unzip_s": 0.2, "unzip_cpu_s": 0.1}},
        "city": found,
    }
    terms = province.terms(result, 10)
    assert terms["T_merge(F)"] == (50.5, 25.25)  # F = 500,000 files
    assert terms["T_unzip(F)"] == (100.0, 50.0)
    assert terms["after one city's edit"] == (156.5, 80.25)
    assert terms["every city built cold"] == (250.5, 165.25)
    lines = province.province_table(result, 10)
    assert any(
        line.split() == ["after", "one", "city's", "edit", "156.5", "s", "wall", "80.2", "s", "cpu"] for line in lines
    )
    assert result["province"]["files"] == 500_000


def test_province_markdown_names_each_term_and_its_command():
    province = _module("province")
    result = {
        "commit": {"commit": "0123456789"},
        "merge_fit": {"a_s": 0.5, "b_s_per_file": 0.0001, "cpu_a_s": 0.25, "cpu_b_s_per_file": 0.00005},
        "figures": {
            "build_cold_county1": {"wall_s": 20.0},
            "build_cold_county2": {"wall_s": 21.0},
            "build_one_change": {"wall_s": 2.0, "cpu_s": 1.0},
            "merge_again": {"wall_s": 1.5, "cpu_s": 0.5},
            "artifact": {"files": 1000, "bytes": 9e6, "zip_bytes": 2e6, "unzip_s": 0.2, "unzip_cpu_s": 0.1},
        },
        "city": {
            "source": "bench/results/city.json",
            "commit": "abcdef0123",
            "cold_s": 100.0,
            "cold_cpu_s": 80.0,
            "one_change_s": 4.0,
            "one_change_cpu_s": 3.0,
            "one_change_key": "build_story",
            "files": 50_000,
        },
    }
    table = province.markdown_table(result, 10)
    lines = table.splitlines()
    assert lines[0] == "| term | what | wall s | CPU s | measured by |"
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in lines[2:]}
    assert rows["T_city,1"][2:4] == ["4.0", "3.0"] and "commit abcdef0" in rows["T_city,1"][4]
    assert "(the slowest: story)" in rows["T_city,1"][1]
    assert rows["T_merge(F)"][2:4] == ["50.5", "25.2"] and "500,000 files" in rows["T_merge(F)"][1]
    assert "commit 0123456" in rows["T_merge(F)"][4] and "1…2 county shards" in rows["T_merge(F)"][4]
    assert rows["T_unzip(F)"][2:4] == ["100.0", "50.0"]  # 200 µs (100 µs of CPU) a file × 500,000
    assert rows["after one city's edit"][2:4] == ["154.5", "78.2"]
    assert rows["every city built cold"][2:4] == ["250.5", "155.2"]
    assert rows["measured: 2 county shards"][2:4] == ["3.5", "1.5"]
    assert rows["T_CI"][2:4] == ["-", "-"]


def test_tables_and_chart_in_cpu_time(chart, monkeypatch):
    def record(name, wall, cpu, peer_wall, peer_cpu):
        figures = {
            "build_cold": {**_figure(wall), "cpu_s": cpu},
            "peer_hugo_pagefind": {**_figure(peer_wall), "cpu_s": peer_cpu},
        }
        ratios = {"build_cold": {"wall": wall / peer_wall, "cpu": cpu / peer_cpu}}
        return {"scale": name, "pages": 1800, "figures": figures, "ratios": ratios}

    records = [record("county", 200.0, 30.0, 70.0, 10.0)]
    assert "| build, cold | 200 s (×2.9) |" in chart.markdown_table(records)
    monkeypatch.setattr(chart, "TIME", "cpu_s")
    assert "| build, cold | 30 s (×3.0) |" in chart.markdown_table(records)
    [point] = chart.points_of({"scales": records})
    assert (point.ours, point.peer) == (30.0, 10.0)
    assert "median CPU time" in chart.render_svg([point])


def test_a_registry_without_stories_leaves_that_rebuild_not_measured(scale, tmp_path):
    (tmp_path / "registry").mkdir()
    with pytest.raises(ValueError, match="no story"):
        scale.edit_story(tmp_path, 0)
    record = {
        "scale": "county",
        "figures": {"build_story": {"wall_s": None, "cpu_s": None, "runs": [], "note": "not measured: no story"}},
        "ratios": {},
        "search": {"query": "q", "bytes": 1, "gzip_bytes": 1, "files": [], "method": "m"},
        "site": {"largest_path": "a", "largest_bytes": 1, "files": 1},
    }
    story = next(t for t in scale.targets(record) if "story" in t["target"])
    assert (story["met"], story["shown"], story["note"]) == (None, "not measured", "not measured: no story")


def test_the_memory_timeline_names_each_process_of_the_tree(tmp_path):
    """A command that forks a child holding memory: the samples list both processes, the child under its parent, and
    the last line the exit code and the peak."""
    import re
    import subprocess

    child = "import os, time\nif os.fork() == 0:\n    x = bytearray(64 << 20)\n    time.sleep(1.5)\n    os._exit(0)\n"
    log = tmp_path / "log"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "memory_timeline.py"),
            "--out",
            str(log),
            "--every",
            "0.1",
            "--",
            sys.executable,
            "-c",
            child + "os.wait()\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert re.fullmatch(r"rc 0 peak (\d+) MiB wall [\d.]+", lines[-1])
    two = [line for line in lines[:-1] if " 2 procs " in line]
    assert two, lines
    # The child's share is judged at its largest sample: the last one showing two processes can catch the child as
    # it exits and frees its memory.
    samples = [re.findall(r"(\d+)\((\d+)>(\d+):(\d+)\)", line) for line in two]
    parent, forked = max(samples, key=lambda shares: int(shares[1][3]))
    assert forked[1] == parent[2]  # the child's parent is the command's process
    assert int(forked[3]) >= 60  # the child's own 64 MiB, written
    assert int(lines[-1].split()[3]) >= 60


def test_a_cold_run_starts_without_the_site_an_earlier_run_kept(scale, tmp_path):
    from dangjian.site.output import kept_of

    out, other = tmp_path / "site", tmp_path / "site-no-search"
    for folder in (kept_of(out), kept_of(other)):
        (folder / "orgs").mkdir(parents=True)
        (folder / "orgs" / "index.html").write_text("x")
    scale.discard_kept(out)
    assert not kept_of(out).exists()
    assert (kept_of(other) / "orgs" / "index.html").exists()  # another output's is left
    scale.discard_kept(out)  # nothing there: no error
