"""Validation speed at a synthetic scale: cold, and after one file changed.

Prints figures, asserts nothing. Each run is a fresh process (`dangjian validate`), so the
figures include start-up, as an editor or CI sees them.

    .venv/bin/python bench/validate.py --scale county [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "dangjian"


def run(root: Path) -> tuple[float, float, int]:
    """(wall s, cpu s, peak RSS KiB) of one `dangjian validate`."""
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN), "validate", "--root", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"validation of {root} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def touch_one_file(root: Path, step: int) -> None:
    """Change one org's summary (same validity, new bytes)."""
    path = sorted((root / "registry/orgs").rglob("*.yaml"))[step % 7]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary: ", f"summary: 修改{step}，", 1), encoding="utf-8")


def main() -> None:
    """Synthesize (or reuse) a registry, then time cold and one-file-changed validations."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["county", "city"], default="county")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="reuse or keep the synthetic registry in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="dj-validate-")) / args.scale
    if not (root / "registry").is_dir():
        started = time.perf_counter()
        subprocess.run([str(BIN), "synth", "--scale", args.scale, "--out", str(root)], check=True, stderr=subprocess.DEVNULL)
        print(f"synth --scale {args.scale}: {time.perf_counter() - started:.1f} s")
    files = sum(1 for p in root.rglob("*") if p.is_file())
    cold = [run(root) for _ in range(args.repeat)]
    changed = []
    for step in range(args.repeat):
        touch_one_file(root, step)
        changed.append(run(root))
    print(f"{args.scale}: {files} files")
    print(f"{'what':<28}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}")
    for label, runs in (("validate, cold", cold), ("validate, one file changed", changed)):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        peak = max(r[2] for r in runs) / 1024
        print(f"{label:<28}{wall:>9.2f}{cpu:>9.2f}{peak:>10.0f}")
    print(f"reproduce: {sys.executable} bench/validate.py --scale {args.scale} --repeat {args.repeat}")


if __name__ == "__main__":
    main()
