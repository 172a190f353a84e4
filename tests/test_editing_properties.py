"""Properties of the roster import over random sheets: it never crashes, never writes an invalid registry,
and importing what it just imported changes nothing."""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL
from dangjian.editing.merge import plan_edits, plan_import
from dangjian.editing.pending import Refusal, new_problems, validate_with, write_all
from dangjian.editing.roster import read_roster
from dangjian.editing.sheet import Grid
from dangjian.validate import validate

LABELS = [
    "姓名",
    "性别",
    "出生年月",
    "政治面貌",
    "入党时间",
    "职务",
    "流动情况",
    "外出地点",
    "流动时间",
    "是否公开",
    "编号",
    "序号",
    "备注",
]
WORDS = [
    "男",
    "女",
    "中共党员",
    "预备党员",
    "积极分子",
    "发展对象",
    "群众",
    "书记",
    "支委",
    "村主任",
    "流出",
    "流入",
    "否",
    "是",
    "上海",
    "2020.1.1",
    "2020年3月",
    "1990",
    "１９９０",
    "m-east-a",
    "m-east-sec",
    "m-x",
    "王东方",
    "李小花",
    "—",
    " ",
]
CELLS = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.text(min_size=1, max_size=6),
    st.integers(min_value=-10, max_value=60000),
    st.floats(min_value=-1e5, max_value=1e5, allow_nan=False),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
NAMES = st.sampled_from(["王东方", "李小花", "赵大年", "钱一", "孙二", "周三"])


PLAUSIBLE = {
    "性别": ["男", "女", None],
    "出生年月": [1990, "1985.07", "１９７０", None, datetime.date(1980, 1, 1)],
    "政治面貌": ["中共党员", "预备党员", "积极分子", "发展对象", "入党申请人"],
    "入党时间": ["2020.1.1", "2019年7月1日", 43000, None, datetime.datetime(2001, 7, 1), "2018-03"],
    "职务": [None, "书记", "支委", "组织委员、宣传委员", "村主任"],
    "流动情况": [None, "流出", "流入", "否"],
    "外出地点": [None, "上海"],
    "流动时间": [None, "2024-03"],
    "是否公开": [None, "是", "否"],
    "编号": [None, "m-east-a", "m-new-1", "m-east-sec", "m-west-sec"],
    "序号": [1, 2, None],
    "备注": [None, "备注"],
}


@st.composite
def sheets(draw) -> Grid:
    """A header with a 姓名 column, maybe a title row above, and a few rows of mostly plausible cells."""
    header = draw(st.lists(st.sampled_from(LABELS[1:]), max_size=6, unique=True))
    header.insert(draw(st.integers(0, len(header))), "姓名")
    noisy = draw(st.booleans())  # half the sheets have anything at all in some cells
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row = []
        for label in header:
            plausible = st.sampled_from(PLAUSIBLE[label]) if label in PLAUSIBLE else NAMES
            row.append(draw(st.one_of(plausible, CELLS) if noisy else plausible))
        rows.append(row)
    title = [["名册"] + [None] * (len(header) - 1)] if draw(st.booleans()) else []
    return Grid(title + [header] + rows)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_import_never_crashes_never_breaks_the_registry_and_is_idempotent(grid: Grid) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        shutil.copytree(MINIMAL, root)
        before = validate(root)
        roster = read_roster(grid)
        plan = plan_import(before.registry, "east", roster)
        if roster.problems or plan.problems:
            return
        try:
            edits = plan_edits(root, before.registry, plan)
        except Refusal:
            return
        if new_problems(before.problems, validate_with(root, edits.files)):
            return
        write_all(root, edits.files)
        after = validate(root)
        assert after.ok, after.problems
        again = plan_import(after.registry, "east", read_roster(grid))
        assert not again.problems and not again.changes
