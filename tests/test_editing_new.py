"""`dangjian new <type>`: commented skeletons in the right place, appends that keep every byte, refusals."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REPO, copy_minimal
from dangjian.cli import main
from dangjian.editing import asking, scaffold
from dangjian.validate import validate


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the bundled demo registry."""
    root = tmp_path / "demo"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend a person sits at the terminal, so prompts are asked."""
    monkeypatch.setattr(asking, "stdin_is_terminal", lambda: True)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaffold, "today", lambda: datetime.date(2026, 3, 5))


def new(root: Path, kind: str, *flags: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["new", kind, "--root", str(root), *flags], input=input, catch_exceptions=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_valid(root: Path) -> None:
    result = validate(root)
    assert result.ok, "\n".join(f"{p.file}:{p.line}: {p.message}" for p in result.problems)


# --- every type, flags only --------------------------------------------------------------------


def test_every_type_from_flags_keeps_the_demo_valid(demo: Path) -> None:
    steps = [
        (
            "org",
            ["--id", "caota-dongcun", "--name", "东村党支部", "--parent", "caota"],
            "registry/orgs/caota/caota-dongcun.yaml",
        ),
        (
            "member",
            [
                "--name",
                "王小明",
                "--org",
                "caota-dongcun",
                "--status",
                "正式党员",
                "--joined",
                "2010-07-01",
                "--post",
                "书记",
                "--gender",
                "男",
                "--born",
                "1980",
            ],
            "registry/members/caota/caota-dongcun.yaml",
        ),
        (
            "project",
            [
                "--id",
                "caota-2026-dongcun-lu",
                "--title",
                "点亮回家路",
                "--org",
                "caota-dongcun",
                "--lead",
                "m-caota-dongcun-1",
            ],
            "registry/projects/caota/caota-2026-dongcun-lu.yaml",
        ),
        (
            "story",
            ["--id", "caota-dongcun-lu", "--title", "东村点亮回家路", "--org", "caota-dongcun"],
            "content/stories/caota-dongcun-lu.md",
        ),
        (
            "activity",
            ["--org", "caota-dongcun", "--title", "集中学习"],
            "registry/activities/caota/caota-dongcun-2026.yaml",
        ),
        (
            "brand",
            ["--id", "dongcun-deng", "--name", "东村明灯", "--owner", "caota-dongcun"],
            "registry/brands/dongcun-deng.yaml",
        ),
    ]
    for kind, flags, path in steps:
        result = new(demo, kind, *flags)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == path
        assert (demo / path).exists()
        assert "校验通过" in result.stderr
    assert_valid(demo)
    registry = validate(demo).registry
    assert registry.orgs["caota-dongcun"]["domain"] == "农村"  # the parent's domain by default
    assert registry.members["m-caota-dongcun-1"].data == {
        "id": "m-caota-dongcun-1",
        "name": "王小明",
        "org": "caota-dongcun",
        "status": "正式党员",
        "joined": datetime.date(2010, 7, 1),
        "posts": ["书记"],
        "born": 1980,
        "gender": "男",
    }
    assert registry.ids("activity")["caota-dongcun-2026-03-05"]["kind"] == "主题党日"
    assert registry.ids("project")["caota-2026-dongcun-lu"]["year"] == 2026
    assert registry.ids("story")["caota-dongcun-lu"]["date"] == datetime.date(2026, 3, 5)


def test_skeletons_carry_chinese_comments_from_the_schema(demo: Path) -> None:
    new(demo, "org", "--id", "caota-dongcun", "--name", "东村党支部", "--parent", "caota")
    text = (demo / "registry/orgs/caota/caota-dongcun.yaml").read_text(encoding="utf-8")
    assert text.startswith("# 组织：东村党支部\n")
    assert "kind: 党支部" in text and "# 组织类别：党委 党工委" in text
    assert "\n# secretary: m-xxx" in text  # optional fields listed, commented out


def test_project_lead_defaults_to_the_org_secretary(demo: Path) -> None:
    result = new(demo, "project", "--id", "caota-2026-xinan-x", "--title", "试点", "--org", "caota-xinan")
    assert result.exit_code == 0, result.output
    assert "lead: m-yang-jianxin" in (demo / "registry/projects/caota/caota-2026-xinan-x.yaml").read_text(
        encoding="utf-8"
    )


def test_sub_brand_goes_beside_its_umbrella_brand(demo: Path) -> None:
    result = new(demo, "brand", "--id", "qicai-baise", "--name", "白色清廉", "--owner", "jiangyin", "--parent", "qicai")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "registry/brands/qicai/qicai-baise.yaml"
    assert_valid(demo)


# --- appending keeps the file --------------------------------------------------------------------


def test_member_is_appended_to_the_roster_that_lists_the_org(demo: Path) -> None:
    path = demo / "registry/members/caota/caota-xinan.yaml"
    before = path.read_bytes()
    result = new(demo, "member", "--name", "李四", "--org", "caota-xinan", "--status", "入党积极分子")
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :].decode("utf-8")
    assert added.startswith("- id: m-caota-xinan-")
    assert "name: 李四" in added
    assert_valid(demo)


def test_activity_is_appended_to_the_existing_year_file_in_its_style(demo: Path) -> None:
    path = demo / "registry/activities/caota/caota-xinan-2015.yaml"
    # A hand-kept style: a blank line between items (the demo itself is in dangjian fmt's layout, which has none).
    path.write_bytes(path.read_bytes().replace(b"\n- id:", b"\n\n- id:"))
    before = path.read_bytes()
    result = new(
        demo, "activity", "--org", "caota-xinan", "--date", "2015-12-20", "--kind", "党课", "--title", "年终党课"
    )
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].startswith(
        b"\n- id: caota-xinan-2015-12-20"
    )  # blank line between items, as in the file
    assert_valid(demo)


def test_a_second_activity_the_same_day_gets_a_numbered_id(demo: Path) -> None:
    result = new(demo, "activity", "--org", "caota-xinan", "--date", "2015-06-07", "--title", "补充活动")
    assert result.exit_code == 0, result.output
    assert "- id: caota-xinan-2015-06-07-2" in (demo / "registry/activities/caota/caota-xinan-2015.yaml").read_text(
        encoding="utf-8"
    )


def test_appending_keeps_crlf_line_breaks_and_a_missing_final_newline(demo: Path) -> None:
    path = demo / "registry/members/caota/caota-shangyu.yaml"
    before = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    path.write_bytes(before)
    result = new(demo, "member", "--name", "周五", "--org", "caota-shangyu", "--status", "发展对象")
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after.startswith(before + b"\r\n- id: ")
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert_valid(demo)


def test_indented_list_items_are_matched(demo: Path) -> None:
    path = demo / "registry/members/caota/caota-shangyu.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "".join("  " + line if line.strip() else line for line in text.splitlines(keepends=True)), encoding="utf-8"
    )
    result = new(demo, "member", "--name", "周五", "--org", "caota-shangyu", "--status", "发展对象")
    assert result.exit_code == 0, result.output
    assert "\n  - id: m-caota-shangyu-" in path.read_text(encoding="utf-8")
    assert_valid(demo)


# --- refusals ------------------------------------------------------------------------------------


REFUSALS = [
    pytest.param(
        "org",
        ["--id", "caota-xinan", "--name", "溪南", "--parent", "caota"],
        "组织编号 `caota-xinan` 已经存在",
        id="existing-org",
    ),
    pytest.param(
        "org", ["--id", "Caota Dong", "--name", "东村", "--parent", "caota"], "有大写字母、有空格", id="invalid-id"
    ),
    pytest.param(
        "org", ["--id", "东村", "--name", "东村", "--parent", "caota"], "有汉字（编号通常用拼音）", id="chinese-id"
    ),
    pytest.param(
        "org", ["--id", "caota-dong", "--name", "东村", "--parent", "caotaa"], "是不是想写 `caota`", id="unknown-parent"
    ),
    pytest.param(
        "org",
        ["--id", "caota-dong", "--name", "东村", "--parent", "溪南村党支部"],
        "是不是想写 `caota-xinan`",
        id="parent-by-name",
    ),
    pytest.param(
        "member",
        ["--id", "m-yang-jianxin", "--name", "杨", "--org", "caota-xinan", "--status", "入党申请人"],
        "党员编号 `m-yang-jianxin` 已经存在",
        id="existing-member",
    ),
    pytest.param(
        "member",
        ["--name", "杨", "--org", "caota-xinnan", "--status", "入党申请人"],
        "是不是想写 `caota-xinan`",
        id="member-unknown-org",
    ),
    pytest.param(
        "member",
        ["--name", "杨", "--org", "caota-xinan", "--status", "积极分子"],
        "是不是想写 `入党积极分子`",
        id="bad-status",
    ),
    pytest.param(
        "member",
        ["--name", "杨", "--org", "caota-xinan", "--status", "入党积极分子", "--joined", "2020-01-01"],
        "还没有入党",
        id="joined-too-early",
    ),
    pytest.param(
        "member",
        ["--name", "杨", "--org", "caota-xinan", "--status", "正式党员", "--joined", "2020-02-30"],
        "不是真实存在的日期",
        id="bad-date",
    ),
    pytest.param(
        "story",
        ["--id", "caota-xinan-qingsao", "--title", "重复"],
        "典型事迹编号 `caota-xinan-qingsao` 已经存在",
        id="existing-story",
    ),
    pytest.param("brand", ["--id", "qicai", "--name", "七彩", "--owner", "jiangyin"], "已经存在", id="existing-brand"),
    pytest.param(
        "brand",
        ["--id", "qicai-x", "--name", "七彩", "--owner", "jiangyin", "--parent", "qicia"],
        "是不是想写 `qicai`",
        id="unknown-umbrella-brand",
    ),
    pytest.param(
        "project",
        ["--id", "caota-2015-xinan-laoren", "--title", "重复", "--org", "caota-xinan"],
        "已经存在",
        id="existing-project",
    ),
    pytest.param(
        "activity",
        ["--org", "caota-xinan", "--title", "重复", "--id", "caota-xinan-2015-06-07"],
        "已经存在",
        id="existing-activity",
    ),
]


@pytest.mark.parametrize("kind, flags, message", REFUSALS)
def test_refusals_exit_1_and_write_nothing(demo: Path, kind: str, flags: list[str], message: str) -> None:
    before = files_of(demo)
    result = new(demo, kind, *flags)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert files_of(demo) == before


def test_a_file_already_named_like_the_id_is_refused(demo: Path) -> None:
    (demo / "registry/orgs/caota/caota-broken.yaml").write_text("id: caota-broken\nname: [\n", encoding="utf-8")
    result = new(demo, "org", "--id", "caota-broken", "--name", "东村", "--parent", "caota")
    assert result.exit_code == 1
    assert "已经有文件 registry/orgs/caota/caota-broken.yaml" in result.stderr


def test_a_phone_number_is_refused_and_never_echoed(demo: Path) -> None:
    result = new(demo, "org", "--id", "caota-dong", "--name", "东村 13912345678", "--parent", "caota")
    assert result.exit_code == 1
    assert "手机号码" in result.stderr
    assert "13912345678" not in result.output


def test_missing_essentials_without_a_terminal_exit_2_naming_the_flags(demo: Path) -> None:
    before = files_of(demo)
    result = new(demo, "org", "--id", "caota-dong")
    assert result.exit_code == 2
    assert "缺少 --name、--parent" in result.stderr
    assert files_of(demo) == before


def test_a_conditional_essential_is_missing_too(demo: Path) -> None:
    result = new(demo, "member", "--name", "杨", "--org", "caota-xinan", "--status", "正式党员")
    assert result.exit_code == 2
    assert "缺少 --joined" in result.stderr


def test_not_a_registry_could_not_run(tmp_path: Path) -> None:
    result = new(tmp_path, "org", "--id", "a", "--name", "b", "--parent", "c")
    assert result.exit_code == 3
    assert "没有 registry/ 文件夹" in result.stderr


# --- at a terminal -------------------------------------------------------------------------------


def test_prompts_ask_for_everything_not_given_and_confirm(demo: Path, terminal: None) -> None:
    answers = "Bad Id\ncaota-dongcun\n东村党支部\ncaotaa\ncaota\n\n\ny\n"  # a bad id and a typo are asked again
    result = new(demo, "org", input=answers)
    assert result.exit_code == 0, result.output
    assert "不能用作编号" in result.stderr
    assert "是不是想写 `caota`" in result.stderr
    assert "写入吗？" in result.stderr
    text = (demo / "registry/orgs/caota/caota-dongcun.yaml").read_text(encoding="utf-8")
    assert "kind: 党支部" in text and "domain: 农村" in text
    assert_valid(demo)


def test_declining_the_confirmation_writes_nothing(demo: Path, terminal: None) -> None:
    before = files_of(demo)
    result = new(demo, "brand", "--owner", "caota", input="caota-deng\n明灯\n\n\nn\n")
    assert result.exit_code == 1
    assert "已取消" in result.stderr
    assert files_of(demo) == before


def test_yes_asks_only_what_has_no_default(demo: Path, terminal: None) -> None:
    result = new(demo, "activity", "--yes", "--org", "caota-xinan", input="集中学习\n")
    assert result.exit_code == 0, result.output
    assert "活动类别" not in result.stderr  # has a default: not asked
    assert "写入吗" not in result.stderr
    assert "- id: caota-xinan-2026-03-05" in (demo / "registry/activities/caota/caota-xinan-2026.yaml").read_text(
        encoding="utf-8"
    )


def test_all_essentials_by_flag_ask_nothing_even_at_a_terminal(demo: Path, terminal: None) -> None:
    result = new(demo, "story", "--id", "caota-x", "--title", "标题")
    assert result.exit_code == 0, result.output
    assert "写入吗" not in result.stderr


def test_a_conditional_essential_is_asked_at_a_terminal(demo: Path, terminal: None) -> None:
    result = new(demo, "member", "--name", "杨", "--org", "caota-xinan", "--status", "预备党员", input="2025/7/1\n")
    assert result.exit_code == 0, result.output
    assert "joined: 2025-07-01" in (demo / "registry/members/caota/caota-xinan.yaml").read_text(encoding="utf-8")


# --- symbolic links: never read or write outside the root ---------------------------------------


def _link_activities_folder(demo: Path, tmp_path: Path) -> Path:
    """Move registry/activities/caota outside the root and leave a link to it in its place."""
    outside = tmp_path / "elsewhere"
    shutil.move(demo / "registry/activities/caota", outside)
    (demo / "registry/activities/caota").symlink_to(outside, target_is_directory=True)
    return outside


@pytest.mark.parametrize("date", ["2015-12-20", "2031-01-02"], ids=["existing-year-file", "new-year-file"])
def test_an_activity_is_not_written_through_a_linked_folder(demo: Path, tmp_path: Path, date: str) -> None:
    outside = _link_activities_folder(demo, tmp_path)
    before = files_of(outside)
    result = new(demo, "activity", "--org", "caota-xinan", "--date", date, "--kind", "党课", "--title", "党课")
    assert result.exit_code == 1, result.output
    assert "registry/activities/caota" in result.stderr and "符号链接" in result.stderr
    assert files_of(outside) == before
    assert (demo / "registry/activities/caota").is_symlink()


def test_write_all_refuses_a_linked_folder_before_writing_anything(demo: Path, tmp_path: Path) -> None:
    from dangjian.editing.pending import Refusal, TextFile, write_all

    outside = _link_activities_folder(demo, tmp_path)
    before, inside = files_of(outside), files_of(demo)
    edits = {
        rel: TextFile(rel, "- x\n")
        for rel in ("registry/activities/a-first.yaml", "registry/activities/caota/caota-xinan-2015.yaml")
    }
    with pytest.raises(Refusal, match="符号链接"):
        write_all(demo, edits)
    assert files_of(outside) == before and files_of(demo) == inside


def test_a_link_put_in_the_way_after_reading_is_a_clean_refusal(tmp_path, monkeypatch) -> None:
    """write_all's own refusal (a link between read and write) ends as a Chinese message, not an internal error."""
    from dangjian.editing import commands, pending

    root = copy_minimal(tmp_path / "root")

    def refuse(*args, **kwargs):
        raise pending.Refusal("registry/orgs：它所在的文件夹是符号链接")

    monkeypatch.setattr(commands, "write_all", refuse)
    result = new(root, "org", "--id", "north", "--name", "北村党支部", "--parent", "town", "--kind", "党支部")
    assert result.exit_code == 1 and "符号链接" in result.stderr and "内部错误" not in result.stderr
