"""One cold build and rebuilds after one edit each, at one scale: time and process-tree memory.

A short check of a build change, where `scale.py` (all measurements, with the peer) takes
40 minutes at city scale. The cold build passes `--cold` where `dangjian build` has it; the
rebuild is a plain `dangjian build` into the same folder (incremental where dangjian can).
Prints figures, asserts nothing.

    .venv/bin/python bench/rebuild.py --scale city [--work /tmp/dj-rebuild]
    .venv/bin/python bench/rebuild.py --scale county --edits all --repeat 3   # scale.py's four edits

`--edits` names the edits (`org`, `roster`, `result`, `story`, or `all`; default org), each made
`--repeat` times (a different file each time, as scale.py makes them), one rebuild after each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["town", "county", "city"])
    parser.add_argument(
        "--work", type=Path, help="folder for the registry, cache and site (default: a new temporary one)"
    )
    parser.add_argument(
        "--edits", default="org", help="comma-separated edits of scale.py (org, roster, result, story) or all"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rebuilds after each kind of edit (default 1)")
    args = parser.parse_args(argv)
    known = {key: (label, edit) for key, label, edit in scale.EDITS}
    wanted = list(known) if args.edits == "all" else [key.strip() for key in args.edits.split(",")]
    unknown = [key for key in wanted if key not in known]
    if unknown:
        parser.error(f"unknown edit {unknown[0]!r}: one of {', '.join(known)} or all")
    work = args.work or Path(tempfile.mkdtemp(prefix="dj-rebuild-"))
    root, site = work / "registry-root", work / "site"
    if not (root / "registry").is_dir():
        subprocess.run(
            [str(scale.BIN), "synth", "--scale", args.scale, "--out", str(root)], check=True, capture_output=True
        )
    shutil.rmtree(work / "cache", ignore_errors=True)
    os.environ["DANGJIAN_CACHE"] = str(work / "cache")
    shutil.rmtree(site, ignore_errors=True)
    print(f"{args.scale}: {root}", flush=True)
    steps = [("build, cold", None, 0)] + [
        (f"build, {known[key][0]}", known[key][1], attempt) for key in wanted for attempt in range(1, args.repeat + 1)
    ]
    for label, edit, attempt in steps:
        if edit:
            edit(root, attempt)
        run = scale.checked(scale.timed_tree(scale.build_cmd(root, site, cold=edit is None)), label)
        print(
            f"  {label}: {run.wall:.1f} s wall, {run.cpu:.1f} s cpu, peak {run.peak_kib / 1024:.0f} MiB, "
            f"tree {run.tree_kib / 1024:.0f} MiB",
            flush=True,
        )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
