"""`dangjian synth`: deterministic synthetic registries for benchmarks and tests.

City scale: 5,000 orgs in five levels (city → counties → towns → villages and
communities → branches and groups), 200,000 members in per-branch rosters, 10,000
projects, 3,000 stories, 60,000 activities, 1,000,000 ledger entries, 20 schemes ×
8 scored periods. County ≈ city / 20; town ≈ county / 10 (for quick benchmarks and
CI); province ≈ city × 10. Everything follows from the seed, so the same arguments
write byte-identical files, however many processes write them. People are invented:
names are drawn from lists of surnames and given names, never from a real roster.

The YAML is written by a small emitter of its own (see `emit`): yaml.safe_dump took
most of the time of a run.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .recordtypes import SCORED_STATUSES

T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """How much of everything to write."""

    counties: int
    towns_per_county: int
    villages_per_town: int
    branches: int  # branches and groups in all, spread over the villages
    members: int
    projects: int
    stories: int
    activities: int
    ledger: int
    schemes: int
    periods: int


SCALES = {
    "town": Scale(1, 2, 10, 20, 1_000, 50, 15, 300, 5_000, 1, 8),
    "county": Scale(1, 10, 25, 200, 10_000, 500, 150, 3_000, 50_000, 1, 8),
    "city": Scale(10, 10, 10, 3_889, 200_000, 10_000, 3_000, 60_000, 1_000_000, 20, 8),
    "province": Scale(100, 10, 10, 38_890, 2_000_000, 100_000, 30_000, 600_000, 10_000_000, 200, 8),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞建国斌宇浩凯"
    "健俊帆帅旭宁婷雪琳晨欣悦怡佳慧颖倩瑶琪璐晶妍茜秋岚凤梅兰竹菊松柏桦桐楠枫"
)
PLACES = "东南西北前后上下中新大小长青红绿金银石泉山河湖溪塘桥湾岭坪庄埠塔坝口岗圩"
PHRASES = (
    "坚持每月开展主题党日",
    "推行党员积分管理",
    "组织党员志愿服务",
    "深化民情走访",
    "推进河道保洁",
    "发展壮大集体经济",
    "建设党群服务中心",
    "开展结对帮扶",
    "落实三会一课",
    "加强网格化治理",
    "推动乡村振兴",
    "改善人居环境",
    "培育致富带头人",
    "完善议事协商机制",
    "开展政策宣讲",
)
STATUSES = ("正式党员",) * 16 + ("预备党员",) * 2 + ("发展对象", "入党积极分子", "入党申请人")
START_YEAR = 2024
Job = tuple[Path, dict | list, str | None]  # a file to write: its path, YAML data, Markdown body (stories)
NAMES_3 = len(SURNAMES) * len(GIVEN) ** 2  # three-character names there are


# --- YAML text ---------------------------------------------------------------------------
# synth writes its YAML itself: yaml.safe_dump spent most of the run analysing every scalar.
# The emitter knows only the shapes synth produces: block mappings and lists, with lists of
# scalars written in flow style (`[a, b]`). A scalar's Python type decides how it is written,
# so that `yaml.safe_load(emit(data)) == data` for every value synth hands it:
#   int, float, bool     plain (`2024`, `47.56`, `true`)
#   datetime.date        plain `YYYY-MM-DD` (the registry's dates)
#   str                  plain only when it is made of ASCII letters, digits, `_` and `-` and
#                        YAML 1.1 reads it back as text (ids, `2024-Q1`, `3A`); otherwise,
#                        and so for all free text, double-quoted with escapes.

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_YAML11_WORDS = frozenset("y Y n N".split())  # booleans in the YAML 1.1 spec, though not to PyYAML
_ESCAPE = re.compile('[\x00-\x1f\x7f-\x9f"\\\\\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]')
_ESCAPES = {"\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+")
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_SCALARS: dict = {}  # str or date -> its YAML text; pure, so shared by every emit


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _text(value: str) -> str:
    """A string as YAML that reads back as this very string."""
    if _PLAIN.fullmatch(value) and value not in _YAML11_WORDS:
        if not any(regexp.match(value) for _, regexp in _RESOLVERS.get(value[0], ())):
            return value
    return '"' + _ESCAPE.sub(_escape, value) + '"'


def _scalar(value: Any) -> str:
    """One scalar as YAML; strings and dates are remembered (ids and dates recur a lot)."""
    kind = type(value)
    if kind is str or kind is datetime.date:
        text = _SCALARS.get(value)
        if text is None:
            if len(_SCALARS) > 1_000_000:
                _SCALARS.clear()
            text = _SCALARS[value] = _text(value) if kind is str else value.isoformat()
        return text
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        text = repr(value)
        if _FLOAT.fullmatch(text):
            return text
    raise TypeError(f"synth cannot write {value!r} as YAML")


def _is_scalar(value: object) -> bool:
    return type(value) is not dict and type(value) is not list


def _flow(items: list) -> str:
    return "[" + ", ".join(map(_scalar, items)) + "]"


def _mapping(data: dict, indent: str, out: list[str], lead: str = "") -> None:
    """Lines of a block mapping; the first key follows `lead` (a list's `- `) when given."""
    scalars, date = _SCALARS, datetime.date
    prefix = lead or indent
    for key, value in data.items():
        key = scalars.get(key) or _scalar(key)
        kind = type(value)
        if kind is str or kind is date:
            out.append(f"{prefix}{key}: {scalars.get(value) or _scalar(value)}")
        elif kind is int:
            out.append(f"{prefix}{key}: {value}")
        elif kind is dict:
            if value:
                out.append(f"{prefix}{key}:")
                _mapping(value, indent + "  ", out)
            else:
                out.append(f"{prefix}{key}: {{}}")
        elif kind is list:
            if all(map(_is_scalar, value)):
                out.append(f"{prefix}{key}: {_flow(value)}")
            else:
                out.append(f"{prefix}{key}:")
                _sequence(value, indent + "  ", out)
        else:
            out.append(f"{prefix}{key}: {_scalar(value)}")
        prefix = indent


def _sequence(data: list, indent: str, out: list[str]) -> None:
    """Lines of a block list, each item after `- `."""
    dash, inner = indent + "- ", indent + "  "
    for item in data:
        kind = type(item)
        if kind is dict and item:
            _mapping(item, inner, out, dash)
        elif kind is list and item and not all(map(_is_scalar, item)):
            first = len(out)
            _sequence(item, inner, out)
            out[first] = dash + out[first][len(inner) :]
        elif kind is list:
            out.append(dash + _flow(item))
        elif kind is dict:
            out.append(dash + "{}")
        else:
            out.append(dash + _scalar(item))


def emit(data: dict | list) -> str:
    """YAML text of a mapping or list holding dicts, lists, str, int, float, bool and dates."""
    if not data:
        return "{}\n" if type(data) is dict else "[]\n"
    out: list[str] = []
    if isinstance(data, dict):
        _mapping(data, "", out)
    else:
        _sequence(data, "", out)
    out.append("")
    return "\n".join(out)


class Synth:
    """Writes one synthetic registry root."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rnd = random.Random(seed)
        self.bits = self.rnd.getrandbits
        self.orgs: list[dict] = []
        self.members: dict[str, list[dict]] = {}
        self.names_used: set[str] = set()

    # --- draws ------------------------------------------------------------------
    # `below(n)` is `Random.randrange(n)` without its argument checks: the same algorithm
    # (rejection sampling of n.bit_length() random bits), so the same numbers, at a third
    # of the cost. `pick(seq)` is `Random.choice(seq)`, `below(b - a + 1) + a` is `randint(a, b)`.
    def below(self, n: int) -> int:
        k = n.bit_length()
        r = self.bits(k)
        while r >= n:
            r = self.bits(k)
        return r

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    # --- text -------------------------------------------------------------------
    def place(self, n: int) -> str:
        return "".join(self.pick(PLACES) for _ in range(n))

    def text(self, sentences: int) -> str:
        return "，".join(self.pick(PHRASES) for _ in range(sentences)) + "。"

    def person_name(self) -> str:
        """An invented name, unique in the registry (so the privacy gate can tell people apart).

        Three characters while fewer than 3/4 of those are taken, then four (province scale).
        """
        pick, used = self.pick, self.names_used
        long = len(used) >= NAMES_3 * 3 // 4
        while True:
            name = pick(SURNAMES) + pick(GIVEN) + pick(GIVEN) + (pick(GIVEN) if long else "")
            if name not in used:
                used.add(name)
                return name

    # --- structure ----------------------------------------------------------------
    def build_orgs(self) -> None:
        s = self.scale
        self.orgs.append(
            {"id": "city", "name": "中共示范市委员会", "kind": "党委", "domain": "机关", "summary": self.text(3)}
        )
        villages = []
        for c in range(s.counties):
            county = f"c{c:03d}"
            self.orgs.append(
                {
                    "id": county,
                    "name": f"{self.place(2)}县委{c}",
                    "kind": "党委",
                    "parent": "city",
                    "domain": "机关",
                    "summary": self.text(3),
                }
            )
            for t in range(s.towns_per_county):
                town = f"{county}-t{t:02d}"
                self.orgs.append(
                    {
                        "id": town,
                        "name": f"{self.place(2)}镇党委{c}-{t}",
                        "kind": "党委",
                        "parent": county,
                        "domain": "农村",
                        "summary": self.text(4),
                    }
                )
                for v in range(s.villages_per_town):
                    village = f"{town}-v{v:02d}"
                    domain = "社区" if v % 4 == 3 else "农村"
                    kind = "党总支" if v % 3 == 0 else "党委"
                    suffix = "社区" if domain == "社区" else "村"
                    self.orgs.append(
                        {
                            "id": village,
                            "name": f"{self.place(2)}{suffix}{kind}{c}-{t}-{v}",
                            "kind": kind,
                            "parent": town,
                            "domain": domain,
                            "summary": self.text(5),
                        }
                    )
                    villages.append(village)
        for b in range(s.branches):
            village = villages[b % len(villages)]
            kind = "党小组" if b % 5 == 4 else "党支部"
            self.orgs.append(
                {
                    "id": f"{village}-b{b // len(villages):02d}",
                    "name": f"第{b // len(villages) + 1}{kind}{b}",
                    "kind": kind,
                    "parent": village,
                    "domain": "其他",
                    "summary": self.text(3),
                }
            )

    def leaves(self) -> list[dict]:
        return [o for o in self.orgs if o["kind"] in ("党支部", "党小组")]

    def build_members(self) -> None:
        leaves = self.leaves()
        below, pick, random_, date = self.below, self.pick, self.rnd.random, datetime.date
        for n in range(self.scale.members):
            org = leaves[n % len(leaves)]
            status = pick(STATUSES)
            member = {"id": f"m{n:07d}", "name": self.person_name(), "org": org["id"], "status": status}
            if status in SCORED_STATUSES:
                member["joined"] = date(1970 + below(54), 1 + below(12), 1 + below(28))
            member["born"] = 1940 + below(65)
            member["gender"] = pick("男女")
            if random_() < 0.04:
                member["flow"] = {
                    "direction": pick(("out", "in")),
                    "place": self.place(2) + "市",
                    "since": date(START_YEAR - 1, 1 + below(9), 1),
                }
            self.members.setdefault(org["id"], []).append(member)
        for org in leaves:
            roster = self.members.get(org["id"], [])
            secretary = next((m for m in roster if m["status"] == "正式党员"), None)
            if secretary is not None:
                secretary["posts"] = ["书记"]
                secretary["grade"] = f"{1 + self.below(5)}A"
                org["secretary"] = secretary["id"]

    def scored(self) -> list[dict]:
        return [m for roster in self.members.values() for m in roster if m["status"] in SCORED_STATUSES]

    # --- files ----------------------------------------------------------------------
    def write(self, out: Path, processes: int | None = None) -> Iterator[Path]:
        """Write every file under `out`; yields each path written.

        All records are drawn first (the random sequence fixes every value), then the files
        are written by `processes` forked workers (default: one per CPU, at most 4). Each file's
        bytes depend only on its records, so the number of processes never changes the output.
        """
        jobs = list(self.files(out))
        for folder in sorted({path.parent for path, _, _ in jobs}):
            folder.mkdir(parents=True, exist_ok=True)
        _write_all(jobs, _processes(processes, len(jobs)))
        for path, _, _ in jobs:
            yield path

    def files(self, out: Path) -> Iterator[Job]:
        """Every file as (path, YAML data, Markdown body or None), drawn in a fixed order."""
        self.build_orgs()
        self.build_members()
        registry = out / "registry"
        yield registry / "site.yaml", {"title": "示范市基层党建", "description": "合成的演示数据", "root": "city"}, None
        yield (
            registry / "points/rules.yaml",
            {
                "base": 60,
                "cap": 100,
                "rules": [
                    {"id": "activity", "name": "参加活动", "points": 2, "max_per_year": 24},
                    {"id": "study", "name": "学习培训", "points": 1, "max_per_year": 12},
                    {"id": "volunteer", "name": "志愿服务", "points": 3, "max_per_year": 30},
                    {"id": "absent", "name": "无故缺席", "points": -5},
                ],
            },
            None,
        )
        for org in self.orgs:
            yield registry / "orgs" / self._folder(org["id"]) / f"{org['id']}.yaml", org, None
        for org_id, roster in sorted(self.members.items()):
            yield registry / "members" / self._folder(org_id) / f"{org_id}.yaml", roster, None
        yield from self._projects(registry)
        yield from self._activities(registry)
        yield from self._ledger(registry)
        yield from self._rankings(registry)
        yield from self._stories(out / "content")

    @staticmethod
    def _folder(org_id: str) -> str:
        return org_id.split("-", 1)[0]

    def _projects(self, registry: Path) -> Iterator[Job]:
        owners = [o for o in self.orgs if o.get("secretary")]
        for n in range(self.scale.projects):
            org = owners[n % len(owners)]
            year = START_YEAR + n % 2
            milestones = []
            for k in range(3):
                due = datetime.date(year, 3 * k + 3, 28)
                milestone = {"title": f"节点{k + 1}：{self.pick(PHRASES)}", "due": due}
                if self.rnd.random() < 0.6:
                    milestone["done"] = due - datetime.timedelta(days=self.below(21))
                milestones.append(milestone)
            project = {
                "id": f"p{n:06d}",
                "title": f"{self.pick(PHRASES)}项目{n}",
                "org": org["id"],
                "lead": org["secretary"],
                "category": ("常规性", "重点性", "创新性")[n % 3],
                "year": year,
                "status": ("立项", "推进中", "已完成")[n % 3],
                "problem": self.text(3),
                "goal": self.text(2),
                "milestones": milestones,
                "reviews": [{"date": datetime.date(year, 6, 30), "kind": "季度巡查", "score": 60 + self.below(40)}],
            }
            yield _job(registry / "projects" / self._folder(org["id"]) / f"{project['id']}.yaml", project)

    def _activities(self, registry: Path) -> Iterator[Job]:
        leaves = [o for o in self.leaves() if o["id"] in self.members]
        rosters = {o["id"]: [m["id"] for m in self.members[o["id"]] if m["status"] in SCORED_STATUSES] for o in leaves}
        per_org: dict[str, list[dict]] = {}
        for n in range(self.scale.activities):
            org = leaves[n % len(leaves)]
            roster = rosters[org["id"]]
            date = datetime.date(START_YEAR + (n // len(leaves)) % 2, 1 + (n // (2 * len(leaves))) % 12, 1 + n % 28)
            attendees = sorted(self.rnd.sample(roster, min(len(roster), 5)))
            activity = {
                "id": f"a{n:07d}",
                "org": org["id"],
                "date": date,
                "kind": ("主题党日", "党课", "志愿服务")[n % 3],
                "title": self.pick(PHRASES),
                "attendees": attendees,
                "headcount": len(attendees) + self.below(10),
                "rule": "activity",
            }
            per_org.setdefault(org["id"], []).append(activity)
        for org_id, items in sorted(per_org.items()):
            yield _job(registry / "activities" / self._folder(org_id) / f"{org_id}.yaml", items)

    def _ledger(self, registry: Path) -> Iterator[Job]:
        scored = [(m["org"], m["id"]) for m in self.scored()]
        per_org: dict[str, list[dict]] = {}
        rules = ("study", "study", "volunteer", "absent")
        dates = [
            [[datetime.date(START_YEAR + y, m + 1, d + 1) for d in range(28)] for m in range(12)] for y in range(2)
        ]
        bits = self.bits
        for n in range(self.scale.ledger):  # the hot loop: `below(12)` and `below(28)` written out
            org, member = scored[n % len(scored)]
            month = bits(4)
            while month >= 12:
                month = bits(4)
            day = bits(5)
            while day >= 28:
                day = bits(5)
            entries = per_org.get(org)
            if entries is None:
                entries = per_org[org] = []
            entries.append({"member": member, "date": dates[n % 2][month][day], "rule": rules[n % 4]})
        for org_id, entries in sorted(per_org.items()):
            yield _job(registry / "points/ledger" / self._folder(org_id) / f"{org_id}.yaml", entries)

    def _rankings(self, registry: Path) -> Iterator[Job]:
        towns = [o for o in self.orgs if o.get("parent", "").count("-") == 0 and o["id"].count("-") == 1]
        for n in range(min(self.scale.schemes, len(towns))):
            town = towns[n]
            scheme_id = f"s{n:03d}-{town['id']}"
            villages = [o["id"] for o in self.orgs if o.get("parent") == town["id"]]
            yield _job(
                registry / "assessments/schemes" / f"{scheme_id}.yaml",
                {
                    "id": scheme_id,
                    "name": f"{town['name']}村级党组织季度工作排位",
                    "scope": town["id"],
                    "period": "quarter",
                    "indicators": [
                        {"id": "work", "name": "中心工作", "max": 50},
                        {"id": "service", "name": "服务群众", "max": 20},
                        {"id": "days", "name": "党员活动日", "max": 15, "derive": "activity_days"},
                        {"id": "points", "name": "党员积分", "max": 10, "derive": "points_average"},
                        {"id": "projects", "name": "书记项目", "max": 5, "derive": "project_progress"},
                    ],
                    "bonus_cap": 5,
                    "tiers": {"top": 3, "bottom": 1},
                },
            )
            for p in range(self.scale.periods):
                period = f"{START_YEAR + p // 4}-Q{p % 4 + 1}"
                scores = {
                    v: {"work": round(30 + self.rnd.random() * 20, 2), "service": round(10 + self.rnd.random() * 10, 1)}
                    for v in villages
                }
                adjustments = [
                    {"org": self.pick(villages), "points": self.pick((2, 3, -2)), "reason": self.pick(PHRASES)}
                ]
                yield _job(
                    registry / "assessments/results" / scheme_id / f"{period}.yaml",
                    {"scheme": scheme_id, "period": period, "scores": scores, "adjustments": adjustments},
                )

    def _stories(self, content: Path) -> Iterator[Job]:
        owners = [o for o in self.orgs if o.get("secretary")]
        for n in range(self.scale.stories):
            org = owners[n % len(owners)]
            date = datetime.date(START_YEAR + n % 2, 1 + n % 12, 1 + n % 28)
            front = {
                "title": f"{self.pick(PHRASES)}的故事{n}",
                "date": date,
                "org": org["id"],
                "members": [org["secretary"]],
                "tags": [self.pick(("党员活动日", "志愿服务", "书记项目"))],
                "source": "合成数据",
            }
            body = "\n\n".join(self.text(6) for _ in range(4))
            yield _job(content / "stories" / self._folder(org["id"]) / f"s{n:05d}.md", front, body)


def _job(path: Path, data: dict | list, body: str | None = None) -> Job:
    return path, data, body


def render(data: dict | list, body: str | None = None) -> str:
    """A file's text: YAML, or a Markdown `body` under YAML front matter."""
    return emit(data) if body is None else f"---\n{emit(data)}---\n{body}\n"


def _write_share(jobs: list, share: int, shares: int) -> None:
    for path, data, body in jobs[share::shares]:
        text = render(data, body)
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(text)


def _processes(wanted: int | None, files: int) -> int:
    """How many processes write: `wanted`, else one per CPU (at most 4) unless the root is small."""
    if not hasattr(os, "fork"):
        return 1
    if wanted is None:
        if files < 2_000:
            return 1
        wanted = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return max(1, wanted)


def _write_all(jobs: list, processes: int) -> None:
    """Write every job: file k goes to worker k mod `processes`; the parent is worker 0."""
    children = []
    for share in range(1, processes):
        pid = os.fork()
        if pid == 0:  # the child writes its share and leaves without running any exit handler
            status = 1
            try:
                _write_share(jobs, share, processes)
                status = 0
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(status)
        children.append(pid)
    failed = False
    try:
        _write_share(jobs, 0, processes)
    finally:
        for pid in children:
            failed |= os.waitpid(pid, 0)[1] != 0
    if failed:
        raise RuntimeError("a synth worker process failed (see its traceback above)")


def synth(scale: str, out: Path, seed: int = 1) -> int:
    """Write a synthetic registry root of `scale` into `out`; return the number of files."""
    return sum(1 for _ in Synth(SCALES[scale], seed).write(Path(out)))
