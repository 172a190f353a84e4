"""`dangjian synth`: deterministic synthetic registries for benchmarks and tests.

City scale: 5,000 orgs in five levels (city → counties → towns → villages and
communities → branches and groups), 200,000 members in per-branch rosters, 10,000
projects, 3,000 stories, 60,000 activities, 1,000,000 ledger entries, 20 schemes ×
8 scored periods. County ≈ city / 20; province ≈ city × 10. Everything follows from
the seed, so the same arguments write byte-identical files. People are invented:
names are drawn from lists of surnames and given names, never from a real roster.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Scale:
    """How much of everything to write."""

    counties: int
    towns_per_county: int
    villages_per_town: int
    branches: int          # branches and groups in all, spread over the villages
    members: int
    projects: int
    stories: int
    activities: int
    ledger: int
    schemes: int
    periods: int


SCALES = {
    "county": Scale(1, 10, 25, 200, 10_000, 500, 150, 3_000, 50_000, 1, 8),
    "city": Scale(10, 10, 10, 3_889, 200_000, 10_000, 3_000, 60_000, 1_000_000, 20, 8),
    "province": Scale(100, 10, 10, 38_890, 2_000_000, 100_000, 30_000, 600_000, 10_000_000, 200, 8),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞建国斌宇浩凯健俊帆帅旭宁婷雪琳晨欣悦怡佳慧颖倩瑶琪璐晶妍茜秋岚凤梅兰竹菊松柏桦桐楠枫"
PLACES = "东南西北前后上下中新大小长青红绿金银石泉山河湖溪塘桥湾岭坪庄埠塔坝口岗圩"
PHRASES = (
    "坚持每月开展主题党日", "推行党员积分管理", "组织党员志愿服务", "深化民情走访", "推进河道保洁",
    "发展壮大集体经济", "建设党群服务中心", "开展结对帮扶", "落实三会一课", "加强网格化治理",
    "推动乡村振兴", "改善人居环境", "培育致富带头人", "完善议事协商机制", "开展政策宣讲",
)
STATUSES = ("正式党员",) * 16 + ("预备党员",) * 2 + ("发展对象", "入党积极分子", "入党申请人")
START_YEAR = 2024


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


class Synth:
    """Writes one synthetic registry root."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rnd = random.Random(seed)
        self.orgs: list[dict] = []
        self.members: dict[str, list[dict]] = {}
        self.names_used: set[str] = set()

    # --- text -------------------------------------------------------------------
    def place(self, n: int) -> str:
        return "".join(self.rnd.choice(PLACES) for _ in range(n))

    def text(self, sentences: int) -> str:
        return "，".join(self.rnd.choice(PHRASES) for _ in range(sentences)) + "。"

    def person_name(self) -> str:
        """A three-character invented name, unique in the registry (so the privacy gate can tell people apart)."""
        while True:
            name = self.rnd.choice(SURNAMES) + self.rnd.choice(GIVEN) + self.rnd.choice(GIVEN)
            if name not in self.names_used:
                self.names_used.add(name)
                return name

    # --- structure ----------------------------------------------------------------
    def build_orgs(self) -> None:
        s = self.scale
        self.orgs.append({"id": "city", "name": "中共示范市委员会", "kind": "党委", "domain": "机关", "summary": self.text(3)})
        villages = []
        for c in range(s.counties):
            county = f"c{c:03d}"
            self.orgs.append({"id": county, "name": f"{self.place(2)}县委{c}", "kind": "党委", "parent": "city", "domain": "机关", "summary": self.text(3)})
            for t in range(s.towns_per_county):
                town = f"{county}-t{t:02d}"
                self.orgs.append({"id": town, "name": f"{self.place(2)}镇党委{c}-{t}", "kind": "党委", "parent": county, "domain": "农村", "summary": self.text(4)})
                for v in range(s.villages_per_town):
                    village = f"{town}-v{v:02d}"
                    domain = "社区" if v % 4 == 3 else "农村"
                    kind = "党总支" if v % 3 == 0 else "党委"
                    suffix = "社区" if domain == "社区" else "村"
                    self.orgs.append({"id": village, "name": f"{self.place(2)}{suffix}{kind}{c}-{t}-{v}", "kind": kind, "parent": town, "domain": domain, "summary": self.text(5)})
                    villages.append(village)
        for b in range(s.branches):
            village = villages[b % len(villages)]
            kind = "党小组" if b % 5 == 4 else "党支部"
            self.orgs.append({"id": f"{village}-b{b // len(villages):02d}", "name": f"第{b // len(villages) + 1}{kind}{b}", "kind": kind, "parent": village, "domain": "其他", "summary": self.text(3)})

    def leaves(self) -> list[dict]:
        return [o for o in self.orgs if o["kind"] in ("党支部", "党小组")]

    def build_members(self) -> None:
        leaves = self.leaves()
        for n in range(self.scale.members):
            org = leaves[n % len(leaves)]
            status = self.rnd.choice(STATUSES)
            member = {"id": f"m{n:07d}", "name": self.person_name(), "org": org["id"], "status": status}
            if status in ("预备党员", "正式党员"):
                member["joined"] = datetime.date(1970 + self.rnd.randrange(54), self.rnd.randint(1, 12), self.rnd.randint(1, 28)).isoformat()
            member["born"] = 1940 + self.rnd.randrange(65)
            member["gender"] = self.rnd.choice("男女")
            if self.rnd.random() < 0.04:
                member["flow"] = {"direction": self.rnd.choice(("out", "in")), "place": self.place(2) + "市", "since": f"{START_YEAR - 1}-0{self.rnd.randint(1, 9)}-01"}
            self.members.setdefault(org["id"], []).append(member)
        for org in leaves:
            roster = self.members.get(org["id"], [])
            secretary = next((m for m in roster if m["status"] == "正式党员"), None)
            if secretary is not None:
                secretary["posts"] = ["书记"]
                secretary["grade"] = f"{self.rnd.randint(1, 5)}A"
                org["secretary"] = secretary["id"]

    def scored(self) -> list[dict]:
        return [m for roster in self.members.values() for m in roster if m["status"] in ("预备党员", "正式党员")]

    # --- files ----------------------------------------------------------------------
    def write(self, out: Path) -> Iterator[Path]:
        """Write every file under `out`; yields each path written."""
        self.build_orgs()
        self.build_members()
        registry = out / "registry"
        yield self._file(registry / "site.yaml", {"title": "示范市基层党建", "description": "合成的演示数据", "root": "city"})
        yield self._file(registry / "points/rules.yaml", {"base": 60, "cap": 100, "rules": [
            {"id": "activity", "name": "参加活动", "points": 2, "max_per_year": 24},
            {"id": "study", "name": "学习培训", "points": 1, "max_per_year": 12},
            {"id": "volunteer", "name": "志愿服务", "points": 3, "max_per_year": 30},
            {"id": "absent", "name": "无故缺席", "points": -5},
        ]})
        for org in self.orgs:
            yield self._file(registry / "orgs" / self._folder(org["id"]) / f"{org['id']}.yaml", org)
        for org_id, roster in sorted(self.members.items()):
            yield self._file(registry / "members" / self._folder(org_id) / f"{org_id}.yaml", roster)
        yield from self._projects(registry)
        yield from self._activities(registry)
        yield from self._ledger(registry)
        yield from self._rankings(registry)
        yield from self._stories(out / "content")

    @staticmethod
    def _folder(org_id: str) -> str:
        return org_id.split("-", 1)[0]

    @staticmethod
    def _file(path: Path, data) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(data), encoding="utf-8")
        return path

    def _projects(self, registry: Path) -> Iterator[Path]:
        owners = [o for o in self.orgs if o.get("secretary")]
        for n in range(self.scale.projects):
            org = owners[n % len(owners)]
            year = START_YEAR + n % 2
            milestones = []
            for k in range(3):
                due = datetime.date(year, 3 * k + 3, 28)
                milestone = {"title": f"节点{k + 1}：{self.rnd.choice(PHRASES)}", "due": due.isoformat()}
                if self.rnd.random() < 0.6:
                    milestone["done"] = (due - datetime.timedelta(days=self.rnd.randint(0, 20))).isoformat()
                milestones.append(milestone)
            project = {"id": f"p{n:06d}", "title": f"{self.rnd.choice(PHRASES)}项目{n}", "org": org["id"], "lead": org["secretary"],
                       "category": ("常规性", "重点性", "创新性")[n % 3], "year": year, "status": ("立项", "推进中", "已完成")[n % 3],
                       "problem": self.text(3), "goal": self.text(2), "milestones": milestones,
                       "reviews": [{"date": f"{year}-06-30", "kind": "季度巡查", "score": 60 + self.rnd.randrange(40)}]}
            yield self._file(registry / "projects" / self._folder(org["id"]) / f"{project['id']}.yaml", project)

    def _activities(self, registry: Path) -> Iterator[Path]:
        leaves = [o for o in self.leaves() if o["id"] in self.members]
        per_org: dict[str, list[dict]] = {}
        for n in range(self.scale.activities):
            org = leaves[n % len(leaves)]
            roster = [m["id"] for m in self.members[org["id"]] if m["status"] in ("预备党员", "正式党员")]
            date = datetime.date(START_YEAR + (n // len(leaves)) % 2, 1 + (n // (2 * len(leaves))) % 12, 1 + n % 28)
            attendees = sorted(self.rnd.sample(roster, min(len(roster), 5)))
            activity = {"id": f"a{n:07d}", "org": org["id"], "date": date.isoformat(), "kind": ("主题党日", "党课", "志愿服务")[n % 3],
                        "title": self.rnd.choice(PHRASES), "attendees": attendees, "headcount": len(attendees) + self.rnd.randrange(10), "rule": "activity"}
            per_org.setdefault(org["id"], []).append(activity)
        for org_id, items in sorted(per_org.items()):
            yield self._file(registry / "activities" / self._folder(org_id) / f"{org_id}.yaml", items)

    def _ledger(self, registry: Path) -> Iterator[Path]:
        scored = self.scored()
        per_org: dict[str, list[dict]] = {}
        rules = ("study", "study", "volunteer", "absent")
        for n in range(self.scale.ledger):
            member = scored[n % len(scored)]
            date = datetime.date(START_YEAR + n % 2, 1 + self.rnd.randrange(12), 1 + self.rnd.randrange(28))
            per_org.setdefault(member["org"], []).append({"member": member["id"], "date": date.isoformat(), "rule": rules[n % 4]})
        for org_id, entries in sorted(per_org.items()):
            yield self._file(registry / "points/ledger" / self._folder(org_id) / f"{org_id}.yaml", entries)

    def _rankings(self, registry: Path) -> Iterator[Path]:
        towns = [o for o in self.orgs if o.get("parent", "").count("-") == 0 and o["id"].count("-") == 1]
        for n in range(min(self.scale.schemes, len(towns))):
            town = towns[n]
            scheme_id = f"s{n:03d}-{town['id']}"
            villages = [o["id"] for o in self.orgs if o.get("parent") == town["id"]]
            yield self._file(registry / "assessments/schemes" / f"{scheme_id}.yaml", {
                "id": scheme_id, "name": f"{town['name']}村级党组织季度工作排位", "scope": town["id"], "period": "quarter",
                "indicators": [{"id": "work", "name": "中心工作", "max": 50}, {"id": "service", "name": "服务群众", "max": 20},
                               {"id": "days", "name": "党员活动日", "max": 15, "derive": "activity_days"},
                               {"id": "points", "name": "党员积分", "max": 10, "derive": "points_average"},
                               {"id": "projects", "name": "书记项目", "max": 5, "derive": "project_progress"}],
                "bonus_cap": 5, "tiers": {"top": 3, "bottom": 1}})
            for p in range(self.scale.periods):
                period = f"{START_YEAR + p // 4}-Q{p % 4 + 1}"
                scores = {v: {"work": round(30 + self.rnd.random() * 20, 2), "service": round(10 + self.rnd.random() * 10, 1)} for v in villages}
                adjustments = [{"org": self.rnd.choice(villages), "points": self.rnd.choice((2, 3, -2)), "reason": self.rnd.choice(PHRASES)}]
                yield self._file(registry / "assessments/results" / scheme_id / f"{period}.yaml",
                                 {"scheme": scheme_id, "period": period, "scores": scores, "adjustments": adjustments})

    def _stories(self, content: Path) -> Iterator[Path]:
        owners = [o for o in self.orgs if o.get("secretary")]
        for n in range(self.scale.stories):
            org = owners[n % len(owners)]
            date = datetime.date(START_YEAR + n % 2, 1 + n % 12, 1 + n % 28)
            front = {"title": f"{self.rnd.choice(PHRASES)}的故事{n}", "date": date.isoformat(), "org": org["id"],
                     "members": [org["secretary"]], "tags": [self.rnd.choice(("党员活动日", "志愿服务", "书记项目"))], "source": "合成数据"}
            body = "\n\n".join(self.text(6) for _ in range(4))
            path = content / "stories" / self._folder(org["id"]) / f"s{n:05d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"---\n{_dump(front)}---\n{body}\n", encoding="utf-8")
            yield path


def synth(scale: str, out: Path, seed: int = 1) -> int:
    """Write a synthetic registry root of `scale` into `out`; return the number of files."""
    return sum(1 for _ in Synth(SCALES[scale], seed).write(Path(out)))
