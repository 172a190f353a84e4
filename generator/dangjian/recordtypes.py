"""Every record type of the registry format, declared once: where its files live and its fields.

Field docs are Chinese: they are what editors read in the field reference and in
their editor's hover help.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .normalise import HAN_RANGES_BMP
from .schema import (
    EXTRA,
    INVALID,
    Asset,
    Checker,
    Bool,
    Date,
    Enum,
    Field,
    Id,
    Integer,
    List,
    Mapping,
    Number,
    Object,
    Ref,
    Text,
)
from .yamlfile import Path as YamlPath

ORG_KINDS = ("党委", "党工委", "党组", "党总支", "党支部", "联合党支部", "临时党支部", "功能型党支部", "党小组")
ORG_DOMAINS = ("农村", "社区", "机关", "事业单位", "国有企业", "非公企业", "社会组织", "学校", "网格", "其他")
MEMBER_STATUSES = ("入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员")
SCORED_STATUSES = ("预备党员", "正式党员")
POSTS = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "党小组长", "委员")
GRADES = ("1A", "2A", "3A", "4A", "5A")
PROJECT_CATEGORIES = ("常规性", "重点性", "创新性")
PROJECT_STATUSES = ("立项", "推进中", "已完成", "已验收", "终止")
REVIEW_KINDS = ("季度巡查", "月度观摩", "第三方测评")
ACTIVITY_KINDS = ("主题党日", "支部党员大会", "支部委员会", "党小组会", "党课", "志愿服务", "民主评议", "其他")
PERIODS = ("year", "quarter", "month")
# Derived ranking indicators (`derive:`), declared once: name → (Chinese name; how it is computed when a scheme
# ranks orgs; when it ranks members — empty where the subject may not use it). Messages, the CMS's select and
# the ranking pages read these.
DERIVED_INDICATORS = {
    "activity_days": ("党员活动日", "按开展主题党日的月份自动计算", "按所在组织开展主题党日的月份自动计算"),
    "points_average": ("党员平均积分", "按党员平均积分自动计算", ""),
    "project_progress": (
        "书记项目推进",
        "按书记项目节点完成情况自动计算",
        "按本人领办的书记项目节点完成情况自动计算",
    ),
    "points_score": ("本人年度积分", "", "按本人年度积分自动计算"),
    "three_one_compliance": ("三会一课按期召开", "按三会一课按期召开的比例自动计算", ""),
}
DERIVATIONS = tuple(DERIVED_INDICATORS)
# A scheme ranks orgs (the scope's direct children, the default) or members (people below the scope holding one
# of its `posts`; format extension, docs/extensions.md). Each subject has its own derived indicators.
RANKING_SUBJECTS = ("orgs", "members")
SUBJECT_DERIVATIONS = {
    subject: tuple(name for name, texts in DERIVED_INDICATORS.items() if texts[column])
    for subject, column in (("orgs", 1), ("members", 2))
}
DEFAULT_STARS = {5: 90, 4: 80, 3: 70, 2: 60, 1: 0}

PERIOD_PATTERN = r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"
COLOR_PATTERN = r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
# An http(s) address ending in `/`: no quotes, angle brackets, spaces or other schemes (`javascript:`).
URL_PATTERN = r"^https?://[A-Za-z0-9\u00a1-\u2fff\u3001-\uffff.-]+(?::[0-9]{1,5})?/(?:[A-Za-z0-9\u00a1-\u2fff\u3001-\uffff._~%+-]+/)*$"


@dataclass(frozen=True)
class RecordType:
    """A record type: its name, where its files live, and the schema of one record."""

    kind: str  # internal name, e.g. "org"
    title: str  # Chinese name, e.g. "组织"
    # Where its files live, the one declaration that finding files, their hints and the docs read: a fixed path
    # (`registry/site.yaml`), or a folder, `**/` where files usually sit in subfolders, and the file name
    # (`<id>.yaml`, `*.yaml`, `<slug>.md`). A folder's files are found at any depth below it.
    location: str
    schema: Object
    layout: str  # "one" record per file, a "list" per file, or "markdown" front matter
    file_is_id: bool = False
    reserved: frozenset[str] = frozenset()  # file names (slugs) the kind may not take: the site's own addresses

    @property
    def id_field(self) -> str | None:
        """The field holding the record's id, if it has one."""
        return "id" if "id" in self.schema.by_name else None

    @property
    def fixed_path(self) -> str | None:
        """The one file of a kind kept in one file (site.yaml, the rulebook), relative to the root."""
        return None if "*" in self.location or "<" in self.location else self.location

    @property
    def folder(self) -> str | None:
        """The folder, ending in `/`, below which a kind with many files keeps them."""
        if self.fixed_path is not None:
            return None
        return self.location[: self.location.rindex("/") + 1].removesuffix("**/")

    @property
    def suffix(self) -> str:
        """The suffix of its files' names: `.yaml` or `.md`."""
        return self.location[self.location.rindex(".") :]


# The top-level folders the site writes itself: its sections, the published assets, the search index, the
# editors' admin page. A free page is published at /<slug>/, so none of these may be a page's file name (a
# page named `projects` replaced the project list). Declared here, on the registry side, because validation
# cannot read the site's kinds: tests/test_reserved_slugs.py checks it against their addresses and a built site.
SITE_FOLDERS = frozenset(
    {
        "activities", "admin", "api", "assets", "brands", "changes", "djsearch", "honours", "members", "notices",
        "orgs", "pagefind", "projects", "rankings", "reports", "stories", "tags", "venues",
    }
)  # fmt: skip


CMS_BACKENDS = ("github", "gitlab", "gitea")
# Forge names: owner/name (GitLab also nests groups); segments never start with `.` (no `..`).
REPO_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(?:/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){1,4}$"
# A git branch name without the forms git refuses (`..`, `//`, a final `/` or `.lock`).
BRANCH_PATTERN = r"^(?!.*\.\.)(?!.*//)(?!.*/$)(?!.*\.lock$)[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$"
APP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
# A forge account (org `maintainers:`, read by `dangjian codeowners`) or team: `li-clerk` or `org/team`,
# with or without the `@` CODEOWNERS puts before it
# (YAML wants a value starting with `@` quoted: `["@li-clerk"]`; `[li-clerk]` needs no quotes). The
# intersection of what GitHub, GitLab and Gitea accept: letters, digits, `_`, `.` and `-`, starting with a
# letter or digit, not ending in `.` or `-`. No space, `#`, inner `@` or line break can pass, so a
# maintainer never starts a comment or a line, and an e-mail address (personal data) is not a user name.
_FORGE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9_])?"
MAINTAINER_PATTERN = rf"^@?{_FORGE_NAME}(?:/{_FORGE_NAME})?$"
MAINTAINER_DOC = "代码托管平台上的用户名或团队，例如 li-clerk 或 xianwei/xinan（可以带 @，带 @ 时要加引号）"
_URL_DOC = "以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）"

CMS = Object(
    Field(
        "backend",
        Enum(*CMS_BACKENDS),
        "编辑页面把修改保存到哪种代码托管平台：github、gitlab 或 gitea",
        required=True,
        label="代码托管平台",
    ),
    Field(
        "repo",
        Text(REPO_PATTERN, "所有者/仓库名，例如 xianwei/dangjian（GitLab 可写子群组）"),
        "登记簿所在的仓库",
        required=True,
    ),
    Field("branch", Text(BRANCH_PATTERN, "git 分支名，例如 main"), "编辑页面读取和提交的分支；不填时为 main"),
    Field(
        "forge_url",
        Text(URL_PATTERN, _URL_DOC),
        "自建的 GitLab 或 Gitea 的网址，例如 https://git.example.gov.cn/；用 gitlab.com 时不填",
        label="自建平台的网址",
    ),
    Field(
        "app_id",
        Text(APP_ID_PATTERN, "字母、数字、`.`、`_` 和 `-`"),
        "在 GitLab 或 Gitea 上登记的 OAuth 应用的客户端编号（Client ID）",
        label="OAuth 客户端编号",
    ),
    Field("auth_url", Text(URL_PATTERN, _URL_DOC), "GitHub 登录用的 OAuth 代理的网址", label="OAuth 代理的网址"),
    Field("admin", Bool(), "是否在网站上生成 /admin/ 编辑页面；不填时生成，写 false 则不生成", label="生成编辑页面"),
)

# The open data's licence (`site.yaml` `data_license`, /api/datapackage.json): SPDX id → (Chinese name, address).
DATA_LICENSES = {
    "CC-BY-4.0": ("知识共享 署名 4.0 国际", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("知识共享 署名-相同方式共享 4.0 国际", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("知识共享 CC0 1.0 公有领域贡献", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-By-1.0": ("开放数据共享 署名许可 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("开放数据库许可 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
DEFAULT_DATA_LICENSE = "CC-BY-4.0"

# Fields read by the build itself say what they feed (`feeds=`); see Field in schema.py.
SITE = Object(
    Field("title", Text(), "网站标题", required=True, page=True),
    Field("description", Text(), "网站简介，一句话", page=True),
    Field("root", Ref("org"), "网站展示的最上级组织的编号", required=True, feeds="the site's org tree"),
    Field(
        "base_url",
        Text(URL_PATTERN, "以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）"),
        "网站的正式网址，用于规范链接、站点地图和订阅源",
        feeds="canonical links, sitemap, feeds",
    ),
    Field(
        "stars",
        Mapping(Integer(1, 5), Number(0)),
        "党员星级的分数线：几星 → 至少多少分；默认 {5: 90, 4: 80, 3: 70, 2: 60, 1: 0}",
        feeds="member stars",
    ),
    Field("cms", CMS, "网页编辑（/admin/）的设置：代码托管平台、仓库和分支", feeds="the /admin/ config"),
    Field(
        "data_license",
        Enum(*DATA_LICENSES),
        "开放数据（/api/）的许可协议；不填时为 CC-BY-4.0（知识共享 署名 4.0 国际）",
        label="数据许可协议",
        feeds="/api/ and /api/datapackage.json",
    ),
    # 三会一课 (format extension, docs/extensions.md; compliance.py): org kind → {meeting: how often}. A kind
    # written here replaces that kind's national defaults (compliance.DEFAULT_RULES) whole.
    Field(
        "three_one",
        Mapping(Enum(*ORG_KINDS), Mapping(Enum(*ACTIVITY_KINDS), Enum(*PERIODS))),
        "三会一课应开频次，按组织类别写：组织类别 → {活动类别: month（每月）、quarter（每季度）或 year（每年）}；"
        "写出的组织类别整项替换默认值，写 {} 表示不要求。默认：各类党支部 支部党员大会、党课 每季度，"
        "支部委员会、主题党日 每月；党小组 党小组会 每月",
        label="三会一课频次",
        feeds="三会一课 compliance (compliance.py): org pages' year grid, overdue flags, three_one_compliance",
    ),
    # Topics (format extension, docs/extensions.md; rules/tags.py): when declared, every tag of a story,
    # project or activity must be one of these (did-you-mean for a variant); when absent, any tag goes.
    Field(
        "tags",
        List(Text(), unique=True),
        "可以使用的标签（专题）；写出后，典型事迹、书记项目和活动的标签只能从中选，写错的会被指出；不写时不限",
        label="标签",
        feeds="rules/tags.py: tags of stories, projects and activities checked against it; /tags/ lists them",
    ),
    EXTRA,
)

# Dated histories (format extension, docs/extensions.md): each event sets, from its date on, the fields it
# writes; what a record holds today is the state after its last event (timeline.py). Popolo's memberships
# and posts are the model: an `org` event is a membership starting, `left` ends the last one.
LEAVINGS = ("转出", "去世", "其他")
FLOW_CHANGES = ("out", "in", "end")

MEMBER_EVENT = Object(
    Field("date", Date(), "这一变化的日期", required=True),
    Field("status", Enum(*MEMBER_STATUSES), "从这一天起的政治面貌/发展阶段（发展党员全程纪实）"),
    Field(
        "org", Ref("org"), "从这一天起所在的组织（组织关系转入）；第一次出现时为进入本登记簿的日期", label="所在组织"
    ),
    Field("posts", List(Enum(*POSTS), unique=True), "从这一天起担任的职务；写 [] 表示不再担任职务", label="职务"),
    Field("grade", Enum(*GRADES), "从这一天起的书记星级（晋档或降档）", label="书记星级"),
    Field(
        "flow", Enum(*FLOW_CHANGES), "流动：out = 开始流出，in = 开始流入，end = 流动结束（返回或注销）", label="流动"
    ),
    Field("place", Text(), "流出到哪里，或从哪里流入；与 flow: out 或 flow: in 同写", label="流动地点"),
    Field("left", Enum(*LEAVINGS), "离开本登记簿的党员队伍：转出、去世或其他（不在网站上显示）", label="离开"),
    Field("note", Text(), "说明（不在网站上显示）", internal=True),
)

ORG_EVENT = Object(
    Field("date", Date(), "这一变化的日期", required=True),
    Field("name", Text(), "从这一天起的名称（更名）；第一条写名称的表示成立以来的名称，更名要先写原名", label="名称"),
    Field("parent", Ref("org"), "从这一天起的上级组织（隶属关系调整）", label="上级组织"),
    Field("weak", Bool(), "从这一天起是否为薄弱组织：true = 列为薄弱，false = 转化（结对随之结束）", label="薄弱组织"),
    Field("benchmark", Ref("org"), "从这一天起结对帮扶的标杆组织", label="结对标杆"),
    Field("note", Text(), "说明（不在网站上显示）", internal=True),
)

# Calendars (format extension, docs/extensions.md; site/calendars.py): an org's recurring plans, written as
# plain choices an editor can read (every month, the first Saturday) and mapped to an RRULE in calendar.ics.
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
RECURRENCES = ("week", "month", "quarter")
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
TIME_DOC = "24 小时制的 时:分，例如 09:00"

RECURRING = Object(
    Field("title", Text(), "活动名称，例如 红色星期六", required=True, label="名称"),
    Field("kind", Enum(*ACTIVITY_KINDS), "活动类别", required=True, label="类别"),
    Field(
        "every",
        Enum(*RECURRENCES),
        "多久一次：week（每周）、month（每月）或 quarter（每季度，1、4、7、10 月）；不填时为每月",
        label="周期",
    ),
    Field("weekday", Enum(*WEEKDAYS), "星期几，例如 星期六；每周的活动必须写，每月、每季度的与 nth 同写", label="星期"),
    Field("nth", Integer(-1, 4), "这个月的第几个（与 weekday 同写）：1 到 4，-1 表示最后一个", label="第几个"),
    Field("day", Integer(1, 28), "每月几日（1 到 28，每个月都有这一天）；不与 weekday 同写", label="几日"),
    Field("time", Text(TIME_PATTERN, TIME_DOC), "开始时间（北京时间）；不填时为全天活动", label="时间"),
    Field("start", Date(), "从哪天起；不填时从网站生成当年的 1 月 1 日起", label="开始"),
    Field("until", Date(), "到哪天为止（含这一天）；不填时一直进行", label="结束"),
    Field("below", Bool(), "是否也列入下级组织的活动日历，例如全区统一的党员活动日写在区委上", label="下级组织同步"),
)

# Order: the export's columns follow the declarations (api/orgs.json).
ORG = Object(
    Field("id", Id(), "组织编号，与文件名相同（通常用拼音）", required=True, export=True, new=True),
    Field("name", Text(), "组织全称，例如 溪南村党支部", required=True, page=True, export=True, diff=True, new=True),
    Field("kind", Enum(*ORG_KINDS), "组织类别", required=True, page=True, export=True, new=True),
    Field("domain", Enum(*ORG_DOMAINS), "所属领域", required=True, page=True, export=True, new=True),
    Field(
        "parent",
        Ref("org"),
        "上级组织的编号；除网站的最上级组织外都必须填写",
        label="上级组织",
        page=True,
        export=True,
        diff=True,
        new=True,
    ),
    Field("founded", Date(), "成立日期", label="成立", page=True, export=True, new=True, example="2026-01-01"),
    Field("dissolved", Date(), "撤销日期；撤销的组织保留页面并标注已撤销", page=True, export=True, diff=True),
    Field(
        "secretary",
        Ref("member"),
        "书记的党员编号；此人必须在本组织担任书记",
        label="书记",
        page=True,
        export=True,
        new=True,
        example="m-xxx",
    ),
    Field("brand", Ref("brand"), "本组织的党建品牌编号", label="党建品牌", page=True, export=True),
    Field(
        "labels",
        List(Text(), unique=True),
        "荣誉称号，例如 五好党支部",
        page=True,
        export=True,
        new=True,
        example="[五好党支部]",
    ),
    Field("weak", Bool(), "是否为薄弱村/后进组织", label="薄弱组织", page=True, export=True),
    Field("benchmark", Ref("org"), "结对帮扶的标杆组织编号（用于薄弱组织）", label="结对标杆", page=True, export=True),
    Field("summary", Text(markdown=True), "一段简介", label="简介", page=True, new=True, example="一两句简介。"),
    Field(
        "history",
        List(ORG_EVENT),
        "沿革：按日期先后记录更名、隶属关系调整、列为薄弱组织和转化；最后的状态须与上面的字段一致",
        label="沿革",
        page=True,
        feeds="timeline.py: the org as of a date (tree, names, pairings)",
    ),
    Field(
        "recurring",
        List(RECURRING),
        "定期活动：按固定规则重复的活动，例如每月第一个星期六的红色星期六；列入活动日历（calendar.ics）",
        label="定期活动",
        page=True,
        feeds="calendars (site/calendars.py): an RRULE event in the org's calendar.ics",
    ),
    Field(
        "maintainers",
        List(Text(MAINTAINER_PATTERN, MAINTAINER_DOC), unique=True),
        "审核本组织文件的人在代码托管平台上的用户名（dangjian codeowners 据此生成 CODEOWNERS；不在网站上显示）",
        label="审核人",
        feeds="CODEOWNERS (dangjian codeowners); never shown on the site",
    ),
    EXTRA,
)

FLOW = Object(
    Field("direction", Enum("out", "in"), "out = 流出，in = 流入", required=True, label="流动方向"),
    Field("place", Text(), "流出到哪里，或从哪里流入", required=True),
    Field("since", Date(), "流动开始日期"),
)

# Never exported or diffed field by field: members appear in counts, and public ones by name where
# a record refers to them (SiteData.person). `dangjian new member` asks for the fields marked new.
MEMBER = Object(
    Field("id", Id(), "党员编号，在整个登记簿中唯一，例如 m-yang-zhangxian", required=True, new=True),
    Field("name", Text(), "姓名", required=True, page=True, new=True),  # public members only
    Field("org", Ref("org"), "所在支部（或党小组）的编号", required=True, label="所在组织", page=True, new=True),
    Field("status", Enum(*MEMBER_STATUSES), "政治面貌/发展阶段", required=True, new=True, feeds="counts by status"),
    Field("joined", Date(), "入党日期（政治生日）；预备党员和正式党员必须填写", new=True, feeds="rules"),
    Field(
        "posts",
        List(Enum(*POSTS), unique=True),
        "在本组织担任的职务",
        label="职务",
        page=True,
        new=True,
        example="[书记]",
    ),
    Field("grade", Enum(*GRADES), "书记星级（1A..5A），只用于书记", page=True),
    Field("born", Integer(1900, 2100), "出生年份（只写年）", new=True),  # asked, never published
    Field("gender", Enum("男", "女"), "性别", new=True),  # asked, never published
    Field("flow", FLOW, "流动党员信息", feeds="flow counts"),
    Field(
        "public",
        Bool(),
        "是否公开；不填时，书记和副书记公开，其他人不公开",
        new=True,
        example="true",
        feeds="privacy: who may be named",
    ),
    Field(
        "history",
        List(MEMBER_EVENT),
        "履历：按日期先后记录发展阶段、组织关系转接、职务、书记星级、流动和离开；最后的状态须与上面的字段一致",
        label="履历",
        page=True,
        feeds="timeline.py: the member as of a date (counts, scores, rankings)",
    ),
    EXTRA,
)

METHOD = Object(
    Field("name", Text(), "工作法名称", required=True),
    Field("summary", Text(markdown=True), "工作法简介"),
)

# Order: the export's columns follow the declarations (api/brands.json). `dangjian diff` reports a
# changed brand as one line (brand_changes), so no brand field is diffed on its own.
BRAND = Object(
    Field("id", Id(), "品牌编号，与文件名相同", required=True, export=True, new=True),
    Field("name", Text(), "品牌名称", required=True, page=True, export=True, new=True),
    Field("slogan", Text(), "品牌口号", page=True, export=True, new=True),
    Field("owner", Ref("org"), "创建品牌的组织编号", required=True, label="创建组织", page=True, export=True, new=True),
    Field(
        "parent",
        Ref("brand"),
        "上级（总）品牌编号；子品牌写在总品牌之下",
        label="总品牌",
        page=True,
        export=True,
        new=True,
    ),
    Field(
        "color",
        Text(COLOR_PATTERN, '# 开头的十六进制颜色，例如 "#c8102e"（要加引号）'),
        "品牌颜色",
        export=True,
        new=True,
        example='"#c8102e"',
    ),
    Field("logo", Asset(), "品牌标志图片", page=True, new=True, example="brands/品牌编号.svg"),
    Field("founded", Date(), "创建日期", label="创建时间", page=True, export=True, new=True, example="2026-01-01"),
    Field(
        "methods",
        List(METHOD),
        "工作法",
        page=True,
        export=True,
        new=True,
        example="\n  - name: 工作法名称\n    summary: 工作法简介",
    ),
    Field("summary", Text(markdown=True), "品牌介绍", page=True, new=True, example="品牌介绍。"),
    EXTRA,
)

MILESTONE = Object(
    Field("title", Text(), "节点名称", required=True),
    Field("due", Date(), "计划完成日期", required=True),
    Field("done", Date(), "实际完成日期"),
)

UPDATE = Object(
    Field("date", Date(), "日期", required=True),
    Field("note", Text(markdown=True), "进展说明", required=True),
)

REVIEW = Object(
    Field("date", Date(), "日期", required=True),
    Field("kind", Enum(*REVIEW_KINDS), "评议方式", required=True),
    Field("score", Number(0, 100), "得分（0..100）", required=True),
    Field("note", Text(markdown=True), "评语"),
)

# Photos and video (format extension, docs/extensions.md): stories, activities and projects may carry a gallery
# (`images:`) and one video link (`video:`), declared once here for the three kinds. The build resizes each photo
# (site/images.py); an SVG is a drawing, not a photo: it has no pixel size to resize, so a gallery refuses it.
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
# http(s) only (never `javascript:` or `data:`), no spaces, quotes, angle brackets or backslashes.
VIDEO_URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~%!$&()*+,;=:@/?#-]*)?$"
# Alt text is read aloud by screen readers in the site's language: it holds at least one Chinese character.
# Patterns here are also JavaScript's (the CMS form, the editor's JSON Schema): no inline flags such as (?s).
ALT_PATTERN = rf"^[\s\S]*[{HAN_RANGES_BMP}][\s\S]*$"


class Photo(Asset):
    """A photo under `content/assets/`: a raster image (png, jpg, webp) the build can resize; never an SVG."""

    def convert(self, raw: Any, path: YamlPath, check: Checker) -> Any:
        value = super().convert(raw, path, check)
        if value is INVALID or value.lower().endswith(PHOTO_SUFFIXES):
            return value
        check.report(
            path,
            f"图片 `{value}` 不是照片：相册和视频封面只能用 PNG、JPEG 或 WebP 图片",
            "SVG 等图形无法按尺寸缩放：导出为 PNG 或 JPEG 后再引用（标志类图形可用 cover）",
            "photo-type",
        )
        return INVALID

    def json_schema(self) -> dict:
        return {"type": "string", "pattern": r"\.([Pp][Nn][Gg]|[Jj][Pp][Ee]?[Gg]|[Ww][Ee][Bb][Pp])$"}

    def describe(self) -> str:
        return "照片路径，相对于 `content/assets/`（png、jpg 或 webp，不能是 svg）"


IMAGE = Object(
    Field("file", Photo(), "照片文件", required=True),
    Field(
        "alt",
        Text(ALT_PATTERN, "含有汉字的说明"),
        "替代文字：用中文说明照片里是什么，读屏软件会读给看不见的读者",
        required=True,
    ),
    Field("caption", Text(), "图片说明，显示在照片下方"),
)

VIDEO = Object(
    Field("url", Text(VIDEO_URL_PATTERN, "以 http:// 或 https:// 开头的网址"), "视频所在网页的网址", required=True),
    Field("poster", Photo(), "封面照片：网站显示它，点击后打开视频网页", required=True),
    Field("title", Text(), "视频标题", required=True),
)


def _images_field() -> Field:
    return Field(
        "images",
        List(IMAGE),
        "照片：每张写 file（照片路径）、alt（中文替代文字，必填）和 caption（说明，可不填）",
        label="图片",
        page=True,
        example="\n  - file: gallery/照片.jpg\n    alt: 党员在村口清扫道路",
    )


def _video_field() -> Field:
    return Field("video", VIDEO, "视频链接：网址、封面照片和标题（网站不嵌入播放器）", label="视频", page=True)


# Order: the export's columns follow the declarations (api/projects.json), then the computed ones
# (site/exports.py DERIVED: milestones, milestones_done, progress).
# Topics (format extension, docs/extensions.md): a project's or an activity's tags, as a story's; each tag
# has a page at /tags/<pinyin>/ listing everything so tagged (site/kinds/tag.py).
_TAGS_FIELD = Field(
    "tags",
    List(Text(), unique=True),
    "标签（专题）；同一标签的典型事迹、书记项目和活动列在同一个专题页",
    label="标签",
    new=True,
    example="[乡村振兴]",
    feeds="topic pages /tags/<pinyin>/ and their feeds (site/kinds/tag.py)",
)

PROJECT = Object(
    Field("id", Id(), "项目编号，与文件名相同", required=True, export=True, new=True),
    Field("title", Text(), "项目名称", required=True, page=True, export=True, new=True),
    Field("org", Ref("org"), "承担项目的组织编号", required=True, label="承担组织", page=True, export=True, new=True),
    Field("category", Enum(*PROJECT_CATEGORIES), "项目类别", required=True, page=True, export=True, new=True),
    Field("year", Integer(1900, 2100), "立项年份", required=True, page=True, export=True, new=True),
    Field(
        "status",
        Enum(*PROJECT_STATUSES),
        "项目状态",
        required=True,
        label="状态",
        page=True,
        export=True,
        diff=True,
        new=True,
    ),
    Field(
        "lead", Ref("member"), "领办书记的党员编号", required=True, label="领办书记", page=True, export=True, new=True
    ),
    Field("problem", Text(markdown=True), "要解决的问题", required=True, page=True, new=True),
    Field("goal", Text(markdown=True), "目标", required=True, page=True, new=True),
    Field(
        "team",
        List(Ref("member"), unique=True),
        "项目组成员的党员编号",
        label="项目组",
        page=True,
        export=True,
        new=True,
        example="[m-a, m-b]",
    ),
    Field(
        "brand",
        Ref("brand"),
        "关联的党建品牌编号",
        label="党建品牌",
        page=True,
        export=True,
        new=True,
        example="品牌编号",
    ),
    Field(
        "milestones",
        List(MILESTONE),
        "进度节点",
        label="进度",
        page=True,
        diff=True,
        new=True,
        example="\n  - title: 第一个节点\n    due: 2026-06-30",
    ),
    Field(
        "updates",
        List(UPDATE),
        "进展记录",
        label="进展",
        page=True,
        new=True,
        example="\n  - date: 2026-03-01\n    note: 进展",
    ),
    Field(
        "reviews",
        List(REVIEW),
        "评议：季度巡查、月度观摩、第三方测评",
        page=True,
        new=True,
        example="\n  - date: 2026-06-30\n    kind: 季度巡查\n    score: 90",
    ),
    _TAGS_FIELD,
    _images_field(),
    _video_field(),
    EXTRA,
)

ACTIVITY = Object(
    Field("id", Id(), "活动编号，在整个登记簿中唯一，例如 caota-xinan-2015-06-07", required=True, new=True),
    Field("org", Ref("org"), "组织活动的组织编号", required=True, page=True, new=True),
    Field("date", Date(), "活动日期", required=True, page=True, new=True),
    Field("kind", Enum(*ACTIVITY_KINDS), "活动类别", required=True, page=True, new=True),
    Field("title", Text(), "活动名称", required=True, page=True, new=True),
    Field(
        "planned",
        Bool(),
        "计划中的活动：true = 还没有举行，列入活动日历，不计入活动次数、积分和三会一课；举行后删去这一行再填写参加情况",
        label="计划",
        page=True,
        feeds="calendars (site/calendars.py); held activities leave it out (scores, compliance, listings)",
    ),
    Field(
        "time",
        Text(TIME_PATTERN, TIME_DOC),
        "开始时间（北京时间）；不填时为全天活动",
        label="时间",
        feeds="calendars (site/calendars.py): a timed event in Asia/Shanghai",
    ),
    Field(
        "attendees",
        List(Ref("member"), unique=True),
        "参加活动的党员编号",
        new=True,
        example="[m-a, m-b]",
        feeds="scores, the headcount shown",
    ),
    Field(
        "headcount",
        Integer(0),
        "参加人数；同时填写 attendees 时不少于其人数",
        page=True,
        new=True,
        example="20",
    ),
    Field(
        "rule",
        Ref("rule"),
        "积分规则编号：每位参加者在活动当天获得该规则的分数",
        new=True,
        example="activity",
        feeds="scores",
    ),
    Field("summary", Text(markdown=True), "简述", page=True, new=True, example="简述"),
    Field(
        "venue",
        Ref("venue"),
        "活动地点的场所编号（registry/venues/ 里的场所）",
        label="地点",
        page=True,
    ),
    _TAGS_FIELD,
    _images_field(),
    _video_field(),
    EXTRA,
)

POINTS_RULE = Object(
    Field("id", Id(), "规则编号", required=True),
    Field("name", Text(), "规则名称", required=True),
    Field("points", Number(), "每次的分数；扣分写负数", required=True, label="分数"),
    Field("max_per_year", Number(0), "一年内该规则累计分数（绝对值）的上限"),
)

RULEBOOK = Object(
    Field("base", Number(0), "每位计分党员每年的起始分", required=True, feeds="scores"),
    Field("cap", Number(0), "年度得分上限；得分限制在 0..cap", required=True, feeds="scores"),
    Field("rules", List(POINTS_RULE), "积分规则", required=True, feeds="scores"),
    EXTRA,
)

LEDGER_ENTRY = Object(
    Field("member", Ref("member"), "党员编号", required=True, feeds="scores"),
    Field("date", Date(), "日期", required=True, feeds="scores"),
    Field("rule", Ref("rule"), "积分规则编号", required=True, feeds="scores"),
    Field("note", Text(), "说明（不在网站上显示，只印在本人的履责证上）", internal=True),  # the editors' own
)

# 履责手记: a member's own account of a duty done, shown in their duty record (履责证): on the site for
# public members only, and on every member's printed certificate (`dangjian export certificates`).
DUTY_FEEDS = "the duty record (履责证): public members' pages, dangjian export certificates"
DUTY_NOTE = Object(
    Field("member", Ref("member"), "写手记的党员编号（预备党员或正式党员）", required=True, feeds=DUTY_FEEDS),
    Field("date", Date(), "日期；不能早于入党日期", required=True, feeds=DUTY_FEEDS),
    Field("title", Text(), "标题，例如 帮助独居老人修缮房屋", feeds=DUTY_FEEDS),
    Field("text", Text(), "手记正文：做了什么、有什么体会", required=True, feeds=DUTY_FEEDS),
)

INDICATOR = Object(
    Field("id", Id(), "指标编号", required=True),
    Field("name", Text(), "指标名称", required=True),
    Field("max", Number(0), "满分", required=True),
    Field(
        "derive",
        Enum(*DERIVATIONS),
        "由登记簿自动计算的指标，不能手工打分。给组织排位：activity_days、points_average、project_progress 或 "
        "three_one_compliance（三会一课按期召开的比例）；给党员排位："
        "points_score（本人年度积分）、activity_days（所在组织）或 project_progress（本人领办的项目）",
    ),
)

TIERS = Object(
    Field("top", Integer(0), "标出排名最前的几名"),
    Field("bottom", Integer(0), "标出排名最后的几名"),
)

SCHEME = Object(
    Field("id", Id(), "排位方案编号，与文件名相同", required=True, feeds="ranking addresses"),
    Field("name", Text(), "方案名称", required=True, page=True),
    Field(
        "scope",
        Ref("org"),
        "参加排位的是这个组织的直属下级组织（subject: members 时：这个组织以下各级组织中担任 posts 职务的党员）",
        required=True,
        label="参加排位的上级组织",
        feeds="rankings",
    ),
    Field(
        "subject",
        Enum(*RANKING_SUBJECTS),
        "排位对象：orgs（组织，不填时）或 members（党员，例如村书记排位）",
        label="排位对象",
        feeds="rankings",
    ),
    Field(
        "posts",
        List(Enum(*POSTS), unique=True),
        "subject: members 时必填：参加排位的党员担任的职务，例如 [书记]",
        label="参加排位的职务",
        feeds="rankings (who is ranked)",
    ),
    Field(
        "period",
        Enum(*PERIODS),
        "排位周期：year（年）、quarter（季度）、month（月）",
        required=True,
        feeds="rankings",
    ),
    Field("indicators", List(INDICATOR), "考核指标", required=True, page=True),
    Field("bonus_cap", Number(0), "每个组织每期加分（奖分）合计的上限", feeds="rankings"),
    Field("tiers", TIERS, "标出前几名和后几名", feeds="rankings"),
    EXTRA,
)

ADJUSTMENT = Object(
    Field("org", Ref("org"), "组织编号（给组织排位的方案）；与 member 二者写一个"),
    Field("member", Ref("member"), "党员编号（subject: members 的方案）；与 org 二者写一个"),
    Field("points", Number(), "奖分写正数，扣分写负数", required=True, label="分数"),
    Field("reason", Text(), "加减分的原因", required=True),
    Field("date", Date(), "日期"),
)


class RankedId(Id):
    """A result's scores key: an org's id, or a member's in a `subject: members` scheme. Which one depends on the
    scheme (another file), so it is resolved by rules/results.py rather than as a reference of one kind."""

    def describe(self) -> str:
        return "组织编号（subject: members 的方案：党员编号）"


RESULT = Object(
    Field("scheme", Ref("scheme"), "排位方案编号", required=True, feeds="rankings"),
    Field(
        "period",
        Text(PERIOD_PATTERN, "YYYY、YYYY-Qn 或 YYYY-MM"),
        "考核周期，与方案的周期一致，例如 2015-Q2",
        required=True,
        feeds="rankings",
    ),
    Field(
        "scores",
        Mapping(RankedId(), Mapping(Id(), Number(0))),
        "每个参加排位的组织（或党员）在每个手工指标上的得分",
        required=True,
        label="各组织得分",
        feeds="rankings",
    ),
    Field("adjustments", List(ADJUSTMENT), "奖分和扣分，必须写明原因", feeds="rankings"),
    EXTRA,
)

STORY = Object(
    Field("title", Text(), "标题", required=True, page=True, new=True),
    Field("date", Date(), "日期", required=True, page=True, new=True),
    Field("org", Ref("org"), "相关组织编号", label="相关组织", page=True, new=True),
    Field("brand", Ref("brand"), "相关党建品牌编号", label="相关党建品牌", page=True, new=True),
    Field(
        "members",
        List(Ref("member"), unique=True),
        "文中提到的党员编号；只能是公开的党员",
        label="文中党员",
        page=True,
        new=True,
        example="[m-xxx]",
    ),
    Field("tags", List(Text(), unique=True), "标签", page=True, new=True, example="[党员活动日]"),
    Field("source", Text(), "来源，例如 诸暨日报 2015-07-29", page=True, new=True, example="诸暨日报 2015-07-29"),
    Field("cover", Asset(), "封面图片", page=True, new=True, example="stories/图片.jpg"),
    _images_field(),
    _video_field(),
    EXTRA,
)

PAGE = Object(
    Field("title", Text(), "页面标题；不填时用正文的第一个标题", page=True),
    Field("order", Integer(), "在页面列表中的顺序，小的在前", feeds="the order of pages in the navigation"),
    EXTRA,
)

# Honours (表彰与创评, format extension): one list file holds many (a county's year of 表彰), each given to
# exactly one org or member. No id: nothing refers to an honour, a clerk would have to invent hundreds,
# and (recipient, year, level, name) already tells one from another (rules/honours.py keeps it unique).
# 乡 and 街道 sit beside 镇 (安吉's 上墅乡, 夏港街道): same tier, listed after it.
HONOUR_LEVELS = ("国家", "省", "市", "县", "乡", "镇", "街道")

# Order: the export's columns follow the declarations (api/honours.json); the page shows a private member's
# honour only in a count of five or more (site/kinds/honour.py), never field by field.
HONOUR = Object(
    Field(
        "name",
        Text(),
        "表彰或创评的名称，例如 优秀共产党员、五好党支部、党员先锋岗",
        required=True,
        label="名称",
        page=True,
        export=True,
    ),
    Field(
        "level",
        Enum(*HONOUR_LEVELS),
        "授予单位的级别；县 包括县级市和市辖区",
        required=True,
        label="级别",
        page=True,
        export=True,
    ),
    Field("year", Integer(1921, 2100), "表彰年度", required=True, label="年度", page=True, export=True),
    Field("giver", Text(), "授予单位，例如 中共诸暨市委", required=True, label="授予单位", page=True, export=True),
    Field("org", Ref("org"), "获得表彰的组织编号；与 member 二者只写一个", label="获得组织", page=True, export=True),
    Field(
        "member",
        Ref("member"),
        "获得表彰的党员编号；与 org 二者只写一个。不公开的党员不会被点名，只在人数达到 5 人时计入人数",
        label="获得党员",
        page=True,
        export=True,
    ),
    Field("date", Date(), "授予日期（可不填）；须在表彰年度之内", label="授予日期", page=True, export=True),
    Field("source", Text(), "来源，例如 诸暨日报 2015-07-29", label="来源", page=True, export=True),
    EXTRA,
)

# Notices (工作提示/通知, format extension, docs/extensions.md): a dated notice from an org to the orgs below it,
# a Markdown file like a story. `audience` defaults to the sender: it reaches that org and every org under it.
NOTICE = Object(
    Field("title", Text(), "通知标题", required=True, label="标题", page=True),
    Field("date", Date(), "发出日期", required=True, label="发出日期", page=True),
    Field("from", Ref("org"), "发出通知的组织编号", required=True, label="发文组织", page=True),
    Field(
        "audience",
        Ref("org"),
        "通知发给哪个组织（连同它的全部下级组织）；须是发文组织本身或它的下级组织；不填时为发文组织的全部下级",
        label="发送范围",
        page=True,
    ),
    Field(
        "until",
        Date(),
        "有效期至（含这一天）；过期后移入归档；不早于发出日期",
        required=True,
        label="有效期至",
        page=True,
    ),
    Field("tags", List(Text(), unique=True), "标签", label="标签", page=True),
    EXTRA,
)

# Venues (场所, format extension): a place where party work is done, at the org that keeps it. No phone field:
# the registry's scanner flags any phone-like number, and a person's number must never be published.
VENUE_KINDS = ("党群服务中心", "新时代文明实践站", "教育基地", "其他")
VENUE = Object(
    Field("id", Id(), "场所编号，与文件名相同", required=True, export=True),
    Field(
        "name",
        Text(),
        "场所名称，例如 草塔镇党群服务中心",
        required=True,
        label="名称",
        page=True,
        export=True,
    ),
    Field("kind", Enum(*VENUE_KINDS), "场所类别", required=True, label="类别", page=True, export=True),
    Field("org", Ref("org"), "管理这个场所的组织编号", required=True, label="所属组织", page=True, export=True),
    Field("address", Text(), "地址", required=True, label="地址", page=True, export=True),
    Field(
        "hours",
        Text(),
        "开放时间，照门口的告示写，例如 周一至周五 8:30—17:00",
        label="开放时间",
        page=True,
        export=True,
    ),
    Field("summary", Text(markdown=True), "简介", label="简介", page=True),
    Field("source", Text(), "来源（真实场所写出处）", label="来源", page=True, export=True),
    EXTRA,
)

RECORD_TYPES: dict[str, RecordType] = {
    t.kind: t
    for t in (
        RecordType("site", "网站设置", "registry/site.yaml", SITE, "one"),
        RecordType("org", "组织", "registry/orgs/**/<id>.yaml", ORG, "one", file_is_id=True),
        RecordType("member", "党员", "registry/members/**/*.yaml", MEMBER, "list"),
        RecordType("brand", "党建品牌", "registry/brands/**/<id>.yaml", BRAND, "one", file_is_id=True),
        RecordType("project", "书记项目", "registry/projects/**/<id>.yaml", PROJECT, "one", file_is_id=True),
        RecordType("activity", "活动", "registry/activities/**/*.yaml", ACTIVITY, "list"),
        RecordType("rulebook", "积分规则簿", "registry/points/rules.yaml", RULEBOOK, "one"),
        RecordType("ledger", "积分记录", "registry/points/ledger/**/*.yaml", LEDGER_ENTRY, "list"),
        RecordType("note", "履责手记", "registry/points/notes/**/*.yaml", DUTY_NOTE, "list"),
        RecordType("scheme", "排位方案", "registry/assessments/schemes/<id>.yaml", SCHEME, "one", file_is_id=True),
        RecordType("result", "排位结果", "registry/assessments/results/**/*.yaml", RESULT, "one"),
        RecordType("story", "典型事迹", "content/stories/**/<slug>.md", STORY, "markdown"),
        RecordType("page", "页面", "content/pages/**/<slug>.md", PAGE, "markdown", reserved=SITE_FOLDERS),
        RecordType("honour", "表彰", "registry/honours/**/*.yaml", HONOUR, "list"),
        RecordType("notice", "通知", "content/notices/**/<slug>.md", NOTICE, "markdown"),
        RecordType("venue", "场所", "registry/venues/**/<id>.yaml", VENUE, "one", file_is_id=True),
    )
}


@dataclass(frozen=True)
class NestedKind:
    """Items kept in a list field of another kind's one record, each with an id and referenced like a record
    (`Ref(kind)`): the points rules in the rulebook's `rules:`. Not a record type: no file of their own."""

    kind: str  # the name references use, e.g. "rule"
    title: str  # Chinese name, e.g. "积分规则"
    within: str  # the record type whose record holds them
    field: str  # its list field holding them


NESTED_KINDS: dict[str, NestedKind] = {n.kind: n for n in (NestedKind("rule", "积分规则", "rulebook", "rules"),)}


def title_of(kind: str) -> str:
    """The Chinese name of a record type, or of a nested kind (a points rule)."""
    return NESTED_KINDS[kind].title if kind in NESTED_KINDS else RECORD_TYPES[kind].title
