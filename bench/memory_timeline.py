"""Where a command's memory goes over time: its process tree sampled, each process's share, and what the main one runs.

Every `--every` seconds, one line: the seconds since the start, the sum of the tree's proportional set sizes (what
`bench/scale.py` reports as a build's peak), and for each process its PSS, its parent and its own pid (the last three
digits) and its private memory (pages no other process shares), in MiB; with `--stacks PY_SPY`, the main process's
innermost frames of dangjian's code (`py-spy dump`, which pauses it for a moment: the run takes a little longer).
The last line gives the exit code, the peak and the wall time. Prints figures, asserts nothing.

    DANGJIAN_CACHE=/tmp/mem/cache .venv/bin/python bench/memory_timeline.py --out /tmp/mem/cold.log \\
        [--stacks /tmp/tools/bin/py-spy] -- .venv/bin/dangjian build --root ROOT --out /tmp/mem/out --cold

Round twenty-nine (docs/performance.md) read a cold city build this way: which phase holds the peak, and whether the
memory is the parent's or its workers' own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scale import _memory_kib, tree_pids  # noqa: E402


def _shares(pid: int) -> tuple[int, int]:
    """(PSS, private memory) of `pid` in KiB, from one reading of its smaps_rollup; (`_memory_kib`, 0) without it."""
    pss = private = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    private += int(line.split()[1])
    except (OSError, ValueError):
        return _memory_kib(pid), 0
    return pss, private


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return int(file.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _tree(pid: int) -> list[tuple[int, int, int, int]]:
    """(pid, parent, PSS KiB, private KiB) of `pid` and its descendants now."""
    return [(current, _parent(current), *_shares(current)) for current in tree_pids(pid)]


def _frames(py_spy: str, pid: int, most: int = 4) -> str:
    """The innermost frames of dangjian's code in `pid`'s main thread, innermost first."""
    try:
        dump = subprocess.run([py_spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = [line.strip() for line in dump.splitlines() if "dangjian" in line and " (" in line]
    return " < ".join(line.split(" (")[0] + ":" + line.rsplit(":", 1)[-1].rstrip(")") for line in lines[:most])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the log (the command's stderr beside it, .err)")
    parser.add_argument("--every", type=float, default=0.7, help="seconds between samples")
    parser.add_argument("--stacks", help="py-spy's path: the main process's frames at each sample")
    parser.add_argument("command", nargs="+", help="the command, after --")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with args.out.open("w") as log, args.out.with_suffix(args.out.suffix + ".err").open("w") as err:
        proc = subprocess.Popen(args.command, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        while proc.poll() is None:
            tree = _tree(proc.pid)
            total = sum(pss for _, _, pss, _ in tree) // 1024
            peak = max(peak, total)
            shares = " ".join(
                f"{pss // 1024}({parent % 1000}>{pid % 1000}:{private // 1024})" for pid, parent, pss, private in tree
            )
            frames = _frames(args.stacks, proc.pid) if args.stacks else ""
            log.write(f"{time.perf_counter() - started:7.1f} {total:6d} MiB  {len(tree)} procs  {shares}  | {frames}\n")
            log.flush()
            time.sleep(args.every)
        log.write(f"rc {proc.returncode} peak {peak} MiB wall {time.perf_counter() - started:.1f}\n")
    print(args.out.read_text().splitlines()[-1])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
