"""Where an in-process rebuild after one edit spends its CPU: by phase, and the page contexts by kind.

Builds a synthetic registry once (without search) into a site folder, then, `--repeat` times, edits one file
(`scale.py`'s edits) and rebuilds in the same process, timing with CPU clocks (`time.process_time`, this process
only: rendering workers are forked children) around the build's steps. Prints figures, asserts nothing.

    .venv/bin/python bench/contexts.py --scale county [--edit org] [--repeat 3] [--work /tmp/lz]

The phases are timed by wrapping the functions the build calls (a wrapper adds about a microsecond a call):
`validate`, the contexts of each kind (`kind.pages(data)`, consumed whole; an aggregate is charged to the
first kind that asks for it), the pages' keys (`Canon.page_key`), carrying (`Carrier.carry_all`), rendering
(`_render_pages`), the exports, each kind's other files (`kind.files`: the org calendars, the feed), and the rest
of `build()`.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)
_INNER: list[float] = []  # the time of the timers running inside each running one


@contextmanager
def timer(name: str) -> Iterator[None]:
    """Charge `name` the CPU spent inside, less what timers nested in it were charged (each second once)."""
    start = time.process_time()
    _INNER.append(0.0)
    try:
        yield
    finally:
        spent = time.process_time() - start
        inner = _INNER.pop()
        SPENT[name] += spent - inner
        if _INNER:
            _INNER[-1] += spent


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with timer(name):
            return function(*args, **kwargs)

    return wrapper


def timed_kind(kind: Any) -> Any:
    pages = kind.pages

    def made(data: Any) -> list:
        with timer(f"contexts: {kind.name}"):
            return list(pages(data))

    return dataclasses.replace(kind, pages=made, files=timed(f"files: {kind.name}", kind.files))


def instrument() -> None:
    """Wrap the build's steps with timers (once per process)."""
    from dangjian.site import build, incremental, kinds

    kinds.KINDS = tuple(timed_kind(kind) for kind in kinds.KINDS)
    build.validate = timed("validate", build.validate)
    build.export_files = timed("exports", build.export_files)
    build._render_pages = timed_generator("render", build._render_pages)
    incremental.Canon.page_key = timed("keys (page_key)", incremental.Canon.page_key)
    for name in ("lazy_key", "input_key"):  # the lazy pages' keys, where the build has them
        if hasattr(incremental.Canon, name):
            setattr(incremental.Canon, name, timed(f"keys ({name})", getattr(incremental.Canon, name)))
    incremental.Carrier.carry_all = timed("carry", incremental.Carrier.carry_all)
    _instrument_rest()


def _instrument_rest() -> None:
    """The aggregates and the steps of `build()` after rendering, each on its own line."""
    from functools import cached_property

    from dangjian import scores, rankings, stats
    from dangjian.site import build, data, feeds, images, incremental, kept, privacy, output

    names = ("counted", "figures", "disclosure", "computed_histories", "unsafe_rankings", "book", "scores", "rankings")
    for name in names:  # those a commit has as cached properties (an older one computed the figures apart)
        found = getattr(data.SiteData, name, None)
        if isinstance(found, cached_property):
            made = cached_property(timed(f"aggregate: {name}", found.func))
            made.__set_name__(data.SiteData, name)
            setattr(data.SiteData, name, made)
    if hasattr(data.SiteData, "_count"):
        data.SiteData._count = timed("aggregate: counted, computed", data.SiteData._count)
    scores.ScoreBook.__init__ = timed("aggregate: ScoreBook", scores.ScoreBook.__init__)
    rankings.RankingBook.__init__ = timed("aggregate: RankingBook", rankings.RankingBook.__init__)
    stats.figure_table = timed("aggregate: figure_table", stats.figure_table)
    real_value = kept.value

    def kept_value(reg: Any, aggregate: Any, today: Any, compute: Callable[[], Any], **kwargs: Any) -> Any:
        return real_value(reg, aggregate, today, timed(f"kept: {aggregate.name}", compute), **kwargs)

    kept.value = kept_value  # each kept aggregate computed, apart (self time, as every timer here)
    privacy.Gate.__init__ = timed("gate: made", privacy.Gate.__init__)
    privacy.Gate.scan_tree = timed("gate: scan", privacy.Gate.scan_tree)
    build.Gate = privacy.Gate
    for module, names in (
        (incremental, ("kept_digests", "keep_digests", "save_manifest", "load_manifest")),
        (build, ("publish", "feeds", "_withheld_rankings")),
    ):
        for name in names:
            if name == "feeds":
                feeds.sitemaps = timed("sitemaps", feeds.sitemaps)
                continue
            setattr(module, name, timed(name, getattr(module, name)))
    images.publish = timed("images", images.publish)
    build.History.of = timed("history", build.History.of)
    build.MaterialTheme.asset_files = timed("theme assets", build.MaterialTheme.asset_files)
    build._Site.published = timed("published", build._Site.published)
    output.staged = timed("staged (enter)", output.staged)


def timed_generator(name: str, function: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        iterator = function(*args, **kwargs)
        while True:
            with timer(name):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    return wrapper


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["town", "county", "city"])
    parser.add_argument("--edit", default="org", help="one of scale.py's edits: org, roster, result, story")
    parser.add_argument("--repeat", type=int, default=3, help="rebuilds, one edit before each (default 3)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/lz"), help="registry, cache and site (kept)")
    parser.add_argument("--start", type=int, default=1, help="the first edit's step (another file each step)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions of the last rebuild")
    args = parser.parse_args(argv)
    edits = {key: edit for key, _, edit in scale.EDITS}
    root, site = args.work / args.scale, args.work / "site"
    if not (root / "registry").is_dir():
        subprocess.run([str(scale.BIN), "synth", "--scale", args.scale, "--out", str(root)], check=True)
    os.environ["DANGJIAN_CACHE"] = str(args.work / "cache")
    from dangjian.site.build import build

    instrument()
    shutil.rmtree(site, ignore_errors=True)
    start = time.process_time()
    report = build(root, site, with_search=False)
    print(f"cold build: {time.process_time() - start:.2f} s CPU, {report.pages} pages", flush=True)
    for step in range(args.start, args.start + args.repeat):
        edits[args.edit](root, step)
        SPENT.clear()
        start, wall = time.process_time(), time.monotonic()
        profile = cProfile.Profile() if args.profile and step == args.start + args.repeat - 1 else None
        if profile is not None:
            profile.enable()
        report = build(root, site, with_search=False)
        total = time.process_time() - start
        if profile is not None:
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.profile)
        print(
            f"rebuild after {args.edit} edit {step}: {total:.2f} s CPU ({time.monotonic() - wall:.2f} s wall), "
            f"{report.reused} of {report.pages} pages carried over"
        )
        contexts = sum(v for k, v in SPENT.items() if k.startswith("contexts"))
        keys = sum(v for k, v in SPENT.items() if k.startswith("keys"))
        for name, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
            if seconds >= 0.005:
                print(f"  {name:32} {seconds:6.3f}")
        print(f"  {'contexts, all kinds':32} {contexts:6.3f}")
        print(f"  {'keys, all':32} {keys:6.3f}")
        accounted = sum(v for k, v in SPENT.items())
        print(f"  {'rest of build()':32} {total - accounted:6.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
