"""One cold build and one rebuild after an org edit, at one scale: time and process-tree memory.

A short check of a build change, where `scale.py` (all measurements, with the peer) takes
40 minutes at city scale. The cold build passes `--cold` where `dangjian build` has it; the
rebuild is a plain `dangjian build` into the same folder (incremental where dangjian can).
Prints figures, asserts nothing.

    .venv/bin/python bench/rebuild.py --scale city [--work /tmp/dj-rebuild]
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
    args = parser.parse_args(argv)
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
    for label, edit in (("build, cold", None), ("build, one org file changed", scale.edit_org)):
        if edit:
            edit(root, 1)
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
