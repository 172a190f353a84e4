"""Dated histories (履历 and 沿革): the bad cases of rules/history.py (see tests/test_bad_cases.py).

The ledger entries' check (`history.ledger_in_party`) has no bad case: `dangjian validate` holds no ledger
entries (summary.py), so it is not listed in ALL_RULES yet; tests/test_history_rules.py runs it directly.
"""

CASES = {
    "history-member-current": [
        (
            "registry/members/history.yaml",
            4,
            11,
            "`status` 写的是 预备党员，但履历里 2016-07-01 那一条（第 2 条）之后是 正式党员",
        ),
        ("registry/members/history.yaml", 7, 10, "`grade` 写的是 3A，但履历里 2018-01-01 那一条（第 3 条）之后是 4A"),
        (
            "registry/members/history.yaml",
            9,
            5,
            "`flow` 写的是 out（无锡），但履历里 2019-03-01 那一条（第 4 条）之后是 out（上海）",
        ),
    ],
    "history-member-dates": [
        ("registry/members/history.yaml", 8, 14, "2014-01-01 早于入党日期 2015-07-01：入党前不能担任职务"),
        ("registry/members/history.yaml", 9, 13, "2014-01-01 早于入党日期 2015-07-01：入党前不算流动党员"),
        ("registry/members/history.yaml", 14, 14, "2016-01-01 这一天没有担任书记，不能有书记星级"),
        ("registry/members/history.yaml", 17, 13, "2021-01-01 这一条在 2020-06-30 离开之后：离开以后不再记履历"),
        ("registry/members/history.yaml", 20, 13, "已在 2020-06-30 离开，不能再离开一次"),
    ],
    "history-member-flow": [
        ("registry/members/history.yaml", 8, 13, "`flow: end` 之前没有正在进行的流动"),
        ("registry/members/history.yaml", 10, 13, "`flow: out` 要写流动地点 `place`"),
        ("registry/members/history.yaml", 12, 13, "2019-03-01 开始的流动还没有结束，不能再开始一次"),
        ("registry/members/history.yaml", 16, 14, "`place` 只与 `flow: out` 或 `flow: in` 同写"),
        ("registry/members/history.yaml", 30, 13, "2019-03-01 开始的流动还没有结束，不能再开始一次"),
    ],
    "history-member-order": [
        ("registry/members/history.yaml", 9, 13, "这一条的日期 2011-05-01 早于上一条的 2012-03-01"),
        ("registry/members/history.yaml", 11, 7, "这一条只有日期（或说明），没有写变化了什么"),
        (
            "registry/members/history.yaml",
            13,
            10,
            "`posts` 写的是 [委员, 宣传委员]，但履历里 2012-03-01 那一条（第 1 条）之后是 [委员]",
        ),
    ],
    "history-member-orgs": [
        (
            "registry/members/history.yaml",
            8,
            12,
            "组织 `north` 在 2010-07-01 不存在（成立于 2018-01-01，撤销于 2024-01-01）",
        ),
    ],
    "history-member-outside": [
        ("registry/activities/history-2026.yaml", 6, 27, "`m-hist-i` 在 2026-01-02 还没有入党（入党日期 2026-01-05）"),
        (
            "registry/activities/history-2026.yaml",
            6,
            37,
            "`m-hist-j` 在 2026-01-02 还不在本登记簿的组织里（履历里组织关系从 2026-02-01 起）",
        ),
        ("registry/activities/history-2026.yaml", 6, 47, "`m-hist-k` 在 2026-01-02 已经离开（2025-12-31 起）"),
    ],
    "history-member-stages": [
        ("registry/members/history.yaml", 12, 15, "发展阶段只能向前：发展对象之后不能是入党积极分子"),
        (
            "registry/members/history.yaml",
            13,
            13,
            "成为预备党员的日期 2025-06-20 与入党日期 `joined` 2025-07-01 不一致",
        ),
        (
            "registry/members/history.yaml",
            18,
            11,
            "`status` 写的是 正式党员，但履历里 2022-07-01 那一条（第 3 条）之后是 预备党员",
        ),
        (
            "registry/members/history.yaml",
            25,
            13,
            "成为预备党员的日期 2022-07-01 与入党日期 `joined` 2020-07-01 不一致",
        ),
        ("registry/members/history.yaml", 26, 15, "发展阶段只能向前：正式党员之后不能是预备党员"),
    ],
    "history-org-current": [
        (
            "registry/orgs/north.yaml",
            2,
            7,
            "`name` 写的是 北村党支部，但沿革里 2019-01-01 那一条（第 1 条）之后是 北村党总支",
        ),
        ("registry/orgs/north.yaml", 6, 7, "`weak` 写的是 true，但沿革里 2022-01-01 那一条（第 2 条）之后是 false"),
        (
            "registry/orgs/north.yaml",
            7,
            12,
            "`benchmark` 写的是 east，但沿革里 2022-01-01 那一条（第 2 条）之后是 （无）",
        ),
    ],
    "history-org-life": [
        ("registry/orgs/north.yaml", 9, 11, "2017-06-01 早于成立日期 2018-01-01"),
        ("registry/orgs/north.yaml", 13, 5, "这一条只有日期（或说明），没有写变化了什么"),
        ("registry/orgs/north.yaml", 13, 11, "2024-01-01 不早于撤销日期 2024-01-01：撤销以后不再有沿革"),
    ],
    "history-org-pairing": [
        ("registry/orgs/north.yaml", 8, 11, "`weak: false`（转化）之前这个组织不是薄弱组织"),
        ("registry/orgs/north.yaml", 10, 16, "2020-01-01 这个组织不是薄弱组织，不能有结对标杆"),
        ("registry/orgs/north.yaml", 13, 16, "标杆组织 `west` 在 2021-01-01 自己也是薄弱组织"),
        ("registry/orgs/north.yaml", 15, 16, "组织不能与自己结对"),
    ],
    "history-org-parent": [
        ("registry/orgs/east.yaml", 11, 13, "2019-01-01 起上级关系形成了循环：east → north → east"),
        ("registry/orgs/north.yaml", 8, 13, "2019-01-01 起上级关系形成了循环：north → east → north"),
        ("registry/orgs/north.yaml", 10, 13, "组织不能是自己的上级"),
        ("registry/orgs/north.yaml", 12, 13, "上级组织 `south` 在 2020-01-01 不存在（成立于 2022-01-01）"),
    ],
}
