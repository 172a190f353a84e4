"""`dangjian validate` alone at a synthetic scale: the three validation rows of `bench/scale.py`, without the builds
and the peer (minutes at city, not an hour), so a change to validation can be measured on its own.

Run from the repository root:

    .venv/bin/python bench/validate_scale.py --scale city [--repeat 3] [--edits org roster story]

Each run is a fresh child process timed as `bench/scale.py` times it (wall, CPU of the process and its children,
the peak of its process tree's memory): cold (a fresh, empty cache folder), warm (the same cache, nothing changed),
then after one file of each kind in `--edits` changed (`bench/scale.py`'s edits; a different file each repeat).
It prints medians and never asserts.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale as bench  # noqa: E402 - bench/scale.py, beside this file

EDITS = {"org": bench.edit_org, "roster": bench.edit_roster, "story": bench.edit_story}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=bench.SCALES, default="county")
    parser.add_argument("--registry", type=Path, help="measure a copy of this registry root instead of synthesizing")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; medians are shown")
    parser.add_argument("--edits", nargs="+", choices=sorted(EDITS), default=["org"])
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dj-validate-"))
    print(f"bytecode: {bench.compile_source()}")
    try:
        return measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> int:
    root = bench.prepare_registry(args.scale, work, args.registry, git=False)  # validation reads no history
    rows: list[tuple[str, list[bench.Run]]] = [("cold", []), ("warm, no change", [])]
    for attempt in range(args.repeat):
        cache = work / f"cache-{attempt}"
        cache.mkdir()
        bench.with_cache(cache)  # warm and the edits below use the last one
        rows[0][1].append(bench.checked(bench.timed_tree(bench.validate_cmd(root)), "dangjian validate"))
    for attempt in range(args.repeat):
        rows[1][1].append(bench.checked(bench.timed_tree(bench.validate_cmd(root)), "dangjian validate"))
    for kind in args.edits:
        runs: list[bench.Run] = []
        for attempt in range(args.repeat):
            EDITS[kind](root, 200 + attempt)
            runs.append(bench.checked(bench.timed_tree(bench.validate_cmd(root)), f"validate after a {kind} edit"))
        rows.append((f"after one {kind} file changed", runs))
    print(f"\ndangjian validate, {args.scale}, {args.repeat} runs each, medians:")
    for label, runs in rows:
        wall = statistics.median(run.wall for run in runs)
        cpu = statistics.median(run.cpu for run in runs)
        memory = max(getattr(run, "tree_kib", 0) or run.peak_kib for run in runs) / 1024
        print(f"  {label:32} {wall:6.2f} s wall  {cpu:6.2f} s cpu  {memory:6.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
