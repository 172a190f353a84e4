"""Before and after, alternating: the same edit made to two copies of one registry, then one build of each, in turn.

The machine's speed moves by a third from one hour to the next, so a figure of one run compares with nothing; two
versions of dangjian timed in the same minutes compare with each other. The "before" version is a `git worktree` of
an earlier commit, put first on PYTHONPATH; the "after" version is this checkout, or with `--after` another worktree
(this checkout may then change while the bench runs). Each copy keeps its own output and
cache folder (dangjian's state is per code version: a copy built once by its own version rebuilds incrementally).
Prints figures, asserts nothing.

    git worktree add -f /tmp/before <commit>
    .venv/bin/python bench/alternate.py --before /tmp/before --work /tmp/alt --scale city --edit story --rounds 4
    .venv/bin/python bench/alternate.py --before /tmp/before --work /tmp/alt --serve --renames 4 --rounds 3
    .venv/bin/python bench/alternate.py --before /tmp/before --work /tmp/alt --cold --rounds 2 [--reverse]

Without `--serve`: `bench/scale.py`'s edit (`org`, `roster`, `member`, `ledger`, `result`, `story`) made to both copies,
then `dangjian build` of each, wall seconds. With `--serve`: `dangjian serve`'s preview in one process per version
(`serve.Preview`, the search index made after the page as the preview makes it), its org renamed `--renames` times as
`bench/serve_reload.py` renames it; each rename's seconds from the save to the pages told of the new site (what the
browser then reloads) and to the rebuild's end (what the next build will read kept). With `--cold`: a cold build of
each (`--cold`, a fresh cache and no output folder, as `bench/scale.py`'s cold runs; `--no-search` without the index),
wall and CPU seconds of the process tree and the peak of its memory (`scale.timed_tree`); `--reverse` builds the
"after" version first in each round, so that a drift of the machine's speed within a round shows. The first build of a
copy (a synthetic registry in git, then a build) is made the first time and not timed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scale  # noqa: E402

BIN = Path(sys.executable).parent / "dangjian"
EDITS = {name: edit for name, _, edit in scale.EDITS}


def copy_of(work: Path, label: str, scale_name: str, version: Path | None) -> Path:
    """The copy `label` under `work`: its registry made (the same synthetic one for both) and built once."""
    folder = work / label
    if not (folder / "reg" / "registry").is_dir():
        source = work / "registry"
        if not (source / "registry").is_dir():
            subprocess.run([str(BIN), "synth", "--scale", scale_name, "--out", str(source)], check=True)
            git = ["git", "-C", str(source), "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
            subprocess.run([*git, "init", "--quiet"], check=True)
            subprocess.run([*git, "add", "-A"], check=True)
            subprocess.run([*git, "commit", "--quiet", "-m", "合成登记簿"], check=True)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", str(source), str(folder / "reg")], check=True)
        subprocess.run(
            [str(BIN), "build", "--root", str(folder / "reg"), "--out", str(folder / "out")],
            env=environment(folder, version),
            check=True,
            capture_output=True,
        )
    return folder


def environment(folder: Path, version: Path | None) -> dict[str, str]:
    env = dict(os.environ, DANGJIAN_CACHE=str(folder / "cache"))
    if version is not None:
        env["PYTHONPATH"] = str(version / "generator")
    return env


def builds(copies: list[tuple[str, Path, Path | None]], edit: str, rounds: int, step: int) -> None:
    for number in range(rounds):
        for label, folder, version in copies:
            EDITS[edit](folder / "reg", step + number)
            started = time.monotonic()
            run = subprocess.run(
                [str(BIN), "build", "--root", str(folder / "reg"), "--out", str(folder / "out")],
                env=environment(folder, version),
                capture_output=True,
                text=True,
            )
            print(f"{edit} {label} {number}: {time.monotonic() - started:.2f} s (exit {run.returncode})", flush=True)


def cold_builds(copies: list[tuple[str, Path, Path | None]], rounds: int, search: bool, reverse: bool) -> None:
    for number in range(rounds):
        for label, folder, version in reversed(copies) if reverse else copies:
            cold = folder / "cold"
            subprocess.run(["rm", "-rf", str(cold)], check=True)
            cold.mkdir()
            env = dict(environment(folder, version), DANGJIAN_CACHE=str(cold / "cache"))
            command = [str(BIN), "build", "--root", str(folder / "reg"), "--out", str(cold / "out"), "--cold"]
            run = scale.timed_tree(command + ([] if search else ["--no-search"]), env=env)
            print(
                f"cold {label} {number}: {run.wall:.2f} s, cpu {run.cpu:.2f} s, tree {run.tree_kib / 1024:,.0f} MiB "
                f"(exit {run.returncode})",
                flush=True,
            )


def previews(copies: list[tuple[str, Path, Path | None]], renames: int, rounds: int) -> None:
    for number in range(rounds):
        for label, folder, version in copies:
            print(f"== {label} {number}", flush=True)
            subprocess.run(
                [sys.executable, __file__, "--in-process", str(folder), "--renames", str(renames)],
                env=environment(folder, version),
                check=True,
            )


def in_process(folder: Path, renames: int) -> None:
    """One preview of `folder`'s copy in this process: the first build, then the renames, each timed."""
    from serve_reload import edited_org, rename

    import dangjian
    from dangjian.site.serve import Preview

    print(f"dangjian from {Path(dangjian.__file__).parent}", flush=True)
    preview = Preview(folder / "reg", folder / "out", with_search=True, say=lambda _: None)
    told: list[float] = []
    tell = preview._tell

    def noting(**state: object) -> None:
        if not state.get("building") and state.get("outcome") is not None and state.get("counted", True):
            told.append(time.monotonic())
        tell(**state)  # type: ignore[arg-type]

    preview._tell = noting  # type: ignore[method-assign]
    started = time.monotonic()
    preview.rebuild()
    preview.indexed()
    print(f"first build {time.monotonic() - started:.2f} s", flush=True)
    path, _, name = edited_org(folder / "reg")
    try:
        for number in range(renames):
            rename(path, f"{name}{number}")
            started = time.monotonic()
            preview.rebuild()
            done = time.monotonic() - started
            print(f"rename {number}: told {told[-1] - started:.2f} s, rebuilt {done:.2f} s", flush=True)
            preview.indexed()
    finally:
        rename(path, name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a worktree of the version before (its generator/ on PYTHONPATH)")
    parser.add_argument(
        "--after", type=Path, help="a worktree of the version after (default: this checkout; a worktree lets it change)"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/dj-alternate"))
    parser.add_argument("--scale", default="city", choices=scale.SCALES)
    parser.add_argument("--edit", default="story", choices=sorted(EDITS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step", type=int, default=100, help="the first edit's step (a different file each)")
    parser.add_argument("--serve", action="store_true", help="time the preview's renames instead of builds")
    parser.add_argument("--renames", type=int, default=4)
    parser.add_argument("--cold", action="store_true", help="time cold builds, fresh cache and output, instead")
    parser.add_argument("--no-search", action="store_true", help="with --cold: builds without the search index")
    parser.add_argument("--reverse", action="store_true", help="with --cold: the after version first in each round")
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process is not None:
        in_process(args.in_process, args.renames)
        return 0
    if args.before is None:
        parser.error("--before: a worktree of the version to compare with")
    copies = [
        ("before", copy_of(args.work, "before", args.scale, args.before), args.before),
        ("after", copy_of(args.work, "after", args.scale, args.after), args.after),
    ]
    if args.serve:
        previews(copies, args.renames, args.rounds)
    elif args.cold:
        cold_builds(copies, args.rounds, not args.no_search, args.reverse)
    else:
        builds(copies, args.edit, args.rounds, args.step)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
