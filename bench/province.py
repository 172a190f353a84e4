"""How long a province takes after one city's edit: city shards built in parallel, merged by `dangjian merge`.

Run from the repository root:

    .venv/bin/python bench/province.py [--counties 3] [--cities 13] [--city-json bench/results/city.json]
                                       [--json bench/results/province.json]

Measures, each command a fresh child process (`scale.timed_tree`: wall, CPU, peak memory):

* `--counties` county registries (`dangjian synth --scale county --seed 1..N`), each built cold
  (fresh cache, no output folder, `--cold` where `dangjian build` has it): the shards;
* one shard rebuilt with nothing changed, then after one org file changed (plain `dangjian build`
  into its previous output with its cache: what a city's CI job does when its cache is restored);
* `dangjian merge` of the first 1, 2 … N shards into a new folder, and of all N again over the
  earlier merge after the rebuild: the merge links every file of every shard, so its time is fitted
  as a line in the number of files (least squares: seconds = a + b × files).

With `--city-json` (a `bench/scale.py` result holding a city scale) it computes, for a province of
`--cities` cities each like the measured city, the wall time of a publish:

    T(cold)           = T_city_cold + T_merge(province files)
    T(one city edit)  = T_city_one_change + T_merge(province files)

since the cities build in parallel (one CI job each) and only the edited city builds at all (the
others restore their output from the CI cache). CI's own overhead (runner start, checkout, cache
restore, artifact upload and download) is not measured here and comes on top. Prints the table and
the command behind every figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

EDIT_KEYS = ("build_org", "build_roster", "build_result", "build_story")


def files_under(root: Path) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file())


def timed(command: list[str], what: str, figures: dict[str, Any], key: str, **extra: Any) -> scale.TreeRun:
    """Run `command` timed; keep its figures under `key`; print them."""
    run = scale.checked(scale.timed_tree(command), what)
    figures[key] = {
        "wall_s": run.wall,
        "cpu_s": run.cpu,
        "peak_mib": run.peak_kib / 1024,
        "tree_mib": run.tree_kib / 1024,
        "command": " ".join(command),
        **extra,
    }
    print(f"  {what}: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, tree {run.tree_kib / 1024:.0f} MiB", flush=True)
    return run


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(a, b) of the least-squares line y = a + b·x through `points` (b = 0 with one distinct x)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if not spread:
        return mean_y, 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - slope * mean_x, slope


def artifact_round_trip(site: Path, work: Path) -> dict[str, Any]:
    """A shard as a CI artifact: zipped (deflate level 6, upload-artifact's default) and unzipped again (by
    `unzip` where it is installed), timed; the transfer itself is the CI service's and is not measured."""
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "shard.zip"
    started, cpu = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as packed:
        for path in sorted(site.rglob("*")):
            if path.is_file():
                packed.write(path, path.relative_to(site).as_posix())
    zip_s, zip_cpu = time.perf_counter() - started, time.process_time() - cpu
    tool = shutil.which("unzip")
    if tool:  # Info-ZIP's unzip, compiled as the artifact actions' own unpacking is
        run = scale.checked(scale.timed_tree([tool, "-q", str(archive), "-d", str(work / "unpacked")]), "unzip")
        unzip_s, unzip_cpu = run.wall, run.cpu
    else:  # Python's zipfile: slower per file, an upper bound
        started, cpu = time.perf_counter(), time.process_time()
        with zipfile.ZipFile(archive) as packed:
            packed.extractall(work / "unpacked")
        unzip_s, unzip_cpu = time.perf_counter() - started, time.process_time() - cpu
    files = files_under(work / "unpacked")
    figure = {
        "files": files,
        "bytes": sum(path.stat().st_size for path in site.rglob("*") if path.is_file()),
        "zip_bytes": archive.stat().st_size,
        "zip_s": zip_s,
        "zip_cpu_s": zip_cpu,
        "unzip_s": unzip_s,
        "unzip_cpu_s": unzip_cpu,
        "unzip_tool": tool or "python zipfile",
    }
    print(
        f"  artifact: {figure['bytes'] / 1e6:.1f} MB in {files:,} files → zip {figure['zip_bytes'] / 1e6:.1f} MB; "
        f"zip {zip_s:.2f} s, unzip {unzip_s:.2f} s",
        flush=True,
    )
    shutil.rmtree(work, ignore_errors=True)
    return figure


def measure(work: Path, counties: int) -> dict[str, Any]:
    """The shards, their rebuilds and the merges; returns every figure."""
    figures: dict[str, Any] = {}
    shards: list[tuple[str, Path, Path, Path]] = []  # (name, registry root, site, cache)
    for number in range(1, counties + 1):
        name = f"county{number}"
        root, site, cache = work / f"reg-{name}", work / f"site-{name}", work / f"cache-{name}"
        subprocess.run(
            [str(scale.BIN), "synth", "--scale", "county", "--seed", str(number), "--out", str(root)],
            check=True,
            capture_output=True,
        )
        cache.mkdir()
        scale.with_cache(cache)
        timed(scale.build_cmd(root, site, cold=True), f"build {name}, cold", figures, f"build_cold_{name}")
        figures[f"build_cold_{name}"]["files"] = files_under(site)
        shards.append((name, root, site, cache))

    name, root, site, cache = shards[0]
    scale.with_cache(cache)
    timed(scale.build_cmd(root, site), f"build {name}, nothing changed", figures, "build_unchanged")
    scale.edit_org(root, 1)
    timed(scale.build_cmd(root, site), f"build {name}, one org file changed", figures, "build_one_change")

    figures["artifact"] = artifact_round_trip(site, work / "artifact")

    points_wall, points_cpu = [], []
    for k in range(1, counties + 1):
        out = work / f"merged-{k}"
        files = sum(figures[f"build_cold_{n}"]["files"] for n, *_ in shards[:k])
        command = [str(scale.BIN), "merge", "--out", str(out), "--title", "示范省基层党建"]
        command += [f"{n}={s}" for n, _, s, _ in shards[:k]]
        run = timed(command, f"merge of {k} shard(s), {files:,} files, new folder", figures, f"merge_{k}", files=files)
        points_wall.append((files, run.wall))
        points_cpu.append((files, run.cpu))
    files = sum(figures[f"build_cold_{n}"]["files"] for n, *_ in shards)
    command = [str(scale.BIN), "merge", "--out", str(work / f"merged-{counties}"), "--title", "示范省基层党建"]
    command += [f"{n}={s}" for n, _, s, _ in shards]
    timed(command, f"merge of {counties} shards again, over the earlier merge", figures, "merge_again", files=files)
    points_wall.append((files, figures["merge_again"]["wall_s"]))
    points_cpu.append((files, figures["merge_again"]["cpu_s"]))
    a, b = fit_line(points_wall)
    ca, cb = fit_line(points_cpu)
    return {
        "figures": figures,
        "merge_fit": {"a_s": a, "b_s_per_file": b, "cpu_a_s": ca, "cpu_b_s_per_file": cb},
        "county_files": figures["build_cold_county1"]["files"],
    }


def city_figures(path: Path) -> dict[str, Any] | None:
    """The city record of a `bench/scale.py` JSON: cold build, slowest rebuild after one change (wall and CPU
    seconds), files."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    for record in saved.get("scales", []):
        if record.get("scale") != "city":
            continue
        figures = record["figures"]
        changed = [
            (figures[key]["wall_s"], figures[key].get("cpu_s"), key)
            for key in EDIT_KEYS
            if (figures.get(key) or {}).get("wall_s")
        ]
        slowest = max(changed) if changed else (None, None, "")
        return {
            "source": str(path),
            # the commit measured; a result older than that field names dangjian's source hash
            "commit": (saved.get("commit") or {}).get("commit") or "source " + saved.get("dangjian_source", "?")[:12],
            "cold_s": figures["build_cold"]["wall_s"],
            "cold_cpu_s": figures["build_cold"].get("cpu_s"),
            "one_change_s": slowest[0],
            "one_change_cpu_s": slowest[1],
            "one_change_key": slowest[2],
            "files": record["site"]["files"],
            "pages": record.get("pages"),
        }
    return None


def terms(result: dict[str, Any], cities: int) -> dict[str, tuple[float | None, float | None]]:
    """Each term of the formula as (wall seconds, CPU seconds), for a province of `cities` cities like the
    measured one; the totals too. Terms that cannot be computed are left out."""
    fit, figures, city = result["merge_fit"], result.get("figures") or {}, result.get("city")
    out: dict[str, tuple[float | None, float | None]] = {}
    if not city:
        return out
    files = city["files"] * cities
    out["T_city,1"] = (city["one_change_s"], city.get("one_change_cpu_s"))
    out["T_city,cold"] = (city["cold_s"], city.get("cold_cpu_s"))
    out["T_merge(F)"] = (fit["a_s"] + fit["b_s_per_file"] * files, fit["cpu_a_s"] + fit["cpu_b_s_per_file"] * files)
    artifact = figures.get("artifact")
    if artifact:
        share = files / artifact["files"]
        out["T_unzip(F)"] = (artifact["unzip_s"] * share, artifact["unzip_cpu_s"] * share)

    def total(first: str) -> tuple[float | None, float | None]:
        parts = [out[first]] + [out[key] for key in ("T_merge(F)", "T_unzip(F)") if key in out]
        return tuple(  # type: ignore[return-value]
            None if any(part[n] is None for part in parts) else sum(part[n] for part in parts) for n in (0, 1)
        )

    out["after one city's edit"] = total("T_city,1")
    out["every city built cold"] = total("T_city,cold")
    return out


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def province_table(result: dict[str, Any], cities: int) -> list[str]:
    """The formula's terms and the two totals, as lines of text."""
    fit = result["merge_fit"]
    lines = [
        f"merge: {fit['a_s']:.2f} s + {fit['b_s_per_file'] * 1e6:.1f} µs × files "
        f"(cpu {fit['cpu_a_s']:.2f} s + {fit['cpu_b_s_per_file'] * 1e6:.1f} µs × files), "
        "least squares over the merges above"
    ]
    city = result.get("city")
    if not city:
        lines.append("no --city-json with a city scale: the province table needs a city's figures")
        return lines
    files = city["files"] * cities
    lines.append(
        f"city ({city['source']}, {_commit(city['commit'])}): cold {_seconds(city['cold_s'])} s, after one change "
        f"{_seconds(city['one_change_s'])} s ({city['one_change_key']}), {city['files']:,} files"
    )
    lines.append(f"province of {cities} such cities: {files:,} files (extrapolated from the measured city)")
    found = terms(result, cities)
    for name, (wall, cpu) in found.items():
        lines.append(f"  {name:<24}{_seconds(wall):>10} s wall{_seconds(cpu):>10} s cpu")
    result["province"] = {
        "cities": cities,
        "files": files,
        **{name: {"wall_s": wall, "cpu_s": cpu} for name, (wall, cpu) in found.items()},
    }
    return lines


def _commit(commit: str) -> str:
    """A commit as a table shows it: `commit abc1234`, or a source hash as it is."""
    return commit if commit.startswith("source ") else f"commit {commit[:7] or '?'}"


def markdown_table(result: dict[str, Any], cities: int) -> str:
    """docs/province.md's table: each term of the formula, its wall and CPU seconds and the measurement
    behind it."""
    figures, fit = result["figures"], result["merge_fit"]
    counties = sum(1 for key in figures if key.startswith("build_cold_"))
    command = f"`bench/province.py --counties {counties}`"
    commit = (result.get("commit") or {}).get("commit", "")
    found = terms(result, cities)
    rows = [("term", "what", "wall s", "CPU s", "measured by")]

    def add(term: str, what: str, source: str) -> None:
        wall, cpu = found.get(term, (None, None))
        rows.append((term, what, _seconds(wall), _seconds(cpu), source))

    city = result.get("city")
    if city:
        files = city["files"] * cities
        source = f"`bench/scale.py --scale city` ({city['source']}, {_commit(city['commit'])})"
        changed = city["one_change_key"].removeprefix("build_")
        add("T_city,1", f"one city's build after one record changed (the slowest: {changed})", source)
        add("T_city,cold", "one city's cold build, search included", source)
        add(
            "T_merge(F)",
            f"`dangjian merge` of F = {cities} × {city['files']:,} = {files:,} files: "
            f"{fit['a_s']:.2f} s + {fit['b_s_per_file'] * 1e6:.0f} µs × F "
            f"(CPU {fit['cpu_a_s']:.2f} s + {fit['cpu_b_s_per_file'] * 1e6:.0f} µs × F)",
            f"{command} ({_commit(commit)}): merges of 1…{counties} county shards, least squares",
        )
        artifact = figures.get("artifact")
        if artifact:
            add(
                "T_unzip(F)",
                f"unpacking every city's artifact (a county shard: {artifact['files']:,} files, "
                f"{artifact['bytes'] / 1e6:.1f} MB, {artifact['zip_bytes'] / 1e6:.1f} MB zipped)",
                f"{command}: a county shard zipped and unzipped by {Path(artifact.get('unzip_tool', 'unzip')).name}"
                + (" (again, with `--from-json … --artifact SITE`)" if artifact.get("command") else ""),
            )
        add("after one city's edit", "T_city,1 + T_merge(F) + T_unzip(F)", "the sum")
        add("every city built cold", "T_city,cold + T_merge(F) + T_unzip(F)", "the sum")
    one, again = figures.get("build_one_change"), figures.get("merge_again")
    if one and again:
        rows.append(
            (
                f"measured: {counties} county shards",
                f"one county rebuilt after one org file changed ({_seconds(one['wall_s'])} s), then merged over the "
                f"earlier merge ({_seconds(again['wall_s'])} s)",
                _seconds(one["wall_s"] + again["wall_s"]),
                _seconds(one["cpu_s"] + again["cpu_s"]),
                f"{command} ({_commit(commit)})",
            )
        )
    rows.append(
        ("T_CI", "runner start, checkout, cache restore, artifact upload and download", "-", "-", "not measured here")
    )
    lines = ["| " + " | ".join(rows[0]) + " |", "| --- | --- | ---: | ---: | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines) + "\n"


def run_measurements(argv: list[str], counties: int, keep: bool) -> dict[str, Any]:
    """`measure` in a temporary folder, with what was measured (command, commit, source, load)."""
    work = Path(tempfile.mkdtemp(prefix="dj-province-"))
    saved_cache = os.environ.get("DANGJIAN_CACHE")
    fingerprint = scale.source_fingerprint()
    commit = scale.measured_commit()  # before the run: other people may commit while it lasts
    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; temporary folder {work}", flush=True)
    try:
        result = measure(work, counties)
    finally:
        if saved_cache is None:
            os.environ.pop("DANGJIAN_CACHE", None)
        else:
            os.environ["DANGJIAN_CACHE"] = saved_cache
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    result.update(
        tool="bench/province.py",
        command=".venv/bin/python bench/province.py " + " ".join(argv),
        commit=commit,
        dangjian_source=fingerprint,
        seconds=time.perf_counter() - started,
        load_average_after=list(os.getloadavg()),
    )
    if scale.source_fingerprint() != fingerprint:
        result["warning"] = "dangjian's source changed during the run: the figures mix two versions"
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=3, help="county shards to build and merge (default 3)")
    parser.add_argument("--cities", type=int, default=13, help="cities of the province computed (default 13)")
    parser.add_argument("--city-json", type=Path, help="a bench/scale.py result with a city scale")
    parser.add_argument("--json", type=Path, default=scale.REPO / "bench" / "results" / "province.json")
    parser.add_argument(
        "--from-json", type=Path, help="measure nothing: the table from this earlier result of province.py"
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        metavar="SITE",
        help="with --from-json: time the zip round trip of this built county site again (nothing else)",
    )
    parser.add_argument("--markdown", type=Path, help="also write docs/province.md's table of terms here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.counties < 2:
        parser.error("--counties: at least 2 (the merge is fitted over several)")
    if args.from_json:  # the table again, with another city's figures: nothing is measured
        result = json.loads(args.from_json.read_text(encoding="utf-8"))
        if args.artifact:
            with tempfile.TemporaryDirectory(prefix="dj-artifact-") as folder:
                result["figures"]["artifact"] = artifact_round_trip(args.artifact, Path(folder))
            result["figures"]["artifact"]["command"] = ".venv/bin/python bench/province.py " + " ".join(argv)
    else:
        result = run_measurements(argv, args.counties, args.keep)
    if args.city_json:
        result["city"] = city_figures(args.city_json)
    print()
    for line in province_table(result, args.cities):
        print(line)
    if result.get("warning"):
        print(f"! {result['warning']}; run again")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"figures written to {args.json}")
    if args.markdown:
        args.markdown.write_text(markdown_table(result, args.cities), encoding="utf-8")
        print(f"table written to {args.markdown}")
    print(f"reproduce: {result['command']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
