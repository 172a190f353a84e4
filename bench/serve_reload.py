"""`dangjian serve`: save → the open page shows the change, in headless Chromium (issue 23's serve target).

For each scale: a synthetic registry in git (as editors keep theirs), `dangjian serve` started on a
free port, one org's page opened in Chromium; then, N times, that org's name is changed in its YAML
file and the time from the save to the new name in the page's heading is taken. Each edit is split
into what the preview's terminal says: save → change seen, the rebuild (as serve reports it), and
rebuilt → page shown again (the long poll's answer, the reload, the page's own load), and with search
save → the index in place (serve indexes after the page is shown; the next save waits for it). CPU is the serve
process tree's (its build workers and Pagefind included). Also prints what keeping the git history in
memory between edits saves a rebuild. Prints figures, asserts nothing.

    .venv/bin/python bench/serve_reload.py [--scale town --scale county] [--edits 5] [--no-search]
                                           [--work /tmp/dj-serve]
    .venv/bin/python bench/serve_reload.py --reload-only [--before e9b1ec4~1] [--edits 8]

`--reload-only` times the last step alone (rebuilt → shown) on the minimal registry, in process, and
with `--before REV` the serve.py of that revision too (e9b1ec4~1: pages asked every second).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent / "dangjian"
REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ADDRESS = re.compile(r"预览地址：(http://\S+/)")
BUILT = re.compile(r"✓ 已生成 (\d+) 个页面，用时 ([\d.]+) 秒")
INDEXED = re.compile(r"✓ 搜索索引(?:（自有）)?：.*用时 ([\d.]+) 秒")  # serve shows a save first, then indexes it
LATER = "搜索索引随后更新"  # serve's build line when the index comes later; else it is in place
NAME = re.compile(r'^name: *"?([^"\n]+)"?$', re.MULTILINE)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Terminal:
    """The serve process's terminal lines, each with the moment it arrived."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def read(self, stream) -> None:  # noqa: ANN001 - a text pipe
        for line in stream:
            with self.changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.changed.notify_all()

    def first(self, pattern: re.Pattern[str], after: float, timeout: float = 1800) -> tuple[float, re.Match[str]]:
        """The first line matching `pattern` that arrived after `after` (waiting for it)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, line in self.lines:
                    if at >= after and (found := pattern.search(line)):
                        return at, found
                if not self.changed.wait(deadline - time.monotonic()):
                    raise RuntimeError(
                        "serve said nothing expected:\n" + "\n".join(text for _, text in self.lines[-30:])
                    )


@dataclass
class Edit:
    saved_to_seen: float
    rebuild: float  # from "检测到修改" to "✓ 已生成"
    said: float  # the rebuild's own figure ("用时 X 秒")
    shown: float  # from "✓ 已生成" to the new name on screen
    total: float  # save → the new name on screen
    cpu: float  # the serve tree's CPU seconds during the edit
    rss_mib: float = 0.0  # the serve process's resident memory after the edit (does it grow edit after edit?)
    indexed: float | None = None  # save → the search index in place (serve's second phase), None without search


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its finished children (build workers, Pagefind) and its live ones."""
    total = 0.0
    for proc in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        live = int(fields[11]) + int(fields[12])
        total += (live + (int(fields[13]) + int(fields[14]) if proc == pid else 0)) / TICKS
    return total


def rss_mib(pid: int) -> float:
    """The resident memory of one process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


def prepare(scale: str, work: Path) -> Path:
    """A synthetic registry of `scale` committed to git (once; later runs reuse it)."""
    root = work / scale / "root"
    if not (root / "registry").is_dir():
        subprocess.run([str(BIN), "synth", "--scale", scale, "--out", str(root)], check=True, capture_output=True)
        git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
        subprocess.run([*git, "init", "--quiet"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "--quiet", "-m", "合成登记簿"], check=True)
    return root


def edited_org(root: Path) -> tuple[Path, str, str]:
    """The org file the edits change (a village's, as most edits are), its id and its name."""
    files = sorted((root / "registry" / "orgs").rglob("*.yaml"))
    path = files[(7 * 1 + 3) % len(files)]
    text = path.read_text(encoding="utf-8")
    org_id = re.search(r"^id: *(\S+)$", text, re.MULTILINE).group(1)
    return path, org_id, NAME.search(text).group(1)


def rename(path: Path, name: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(NAME.sub(f'name: "{name}"', text, count=1), encoding="utf-8")


def measure(scale: str, work: Path, edits: int, search: bool) -> list[Edit]:
    from playwright.sync_api import sync_playwright

    root = prepare(scale, work)
    path, org_id, original = edited_org(root)
    out = work / scale / ("site" if search else "site-no-search")
    env = {**os.environ, "DANGJIAN_CACHE": str(work / "cache")}
    command = [str(BIN), "serve", "--root", str(root), "--out", str(out), "--port", "0"]
    serve = subprocess.Popen(command + ([] if search else ["--no-search"]), stderr=subprocess.PIPE, text=True, env=env)
    terminal = Terminal()
    threading.Thread(target=terminal.read, args=(serve.stderr,), daemon=True).start()
    results: list[Edit] = []
    try:
        started = time.monotonic()
        _, address = terminal.first(ADDRESS, 0)
        print(
            f"  {scale}: first build {time.monotonic() - started:.1f} s; editing {path.relative_to(root)}", flush=True
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(address.group(1) + f"orgs/{org_id}/")
            if page.inner_text("h1").strip() != original:
                raise RuntimeError(f"orgs/{org_id}/ does not show {original}")
            page.wait_for_function("document.querySelector('script[data-status]').dataset.state !== undefined")
            for step in range(1, edits + 1):
                name = f"{original}改{step}"
                cpu, saved = tree_cpu(serve.pid), time.monotonic()
                rename(path, name)
                page.wait_for_function(
                    "name => document.querySelector('h1')?.textContent.trim() === name", arg=name, timeout=1_800_000
                )
                shown = time.monotonic()
                seen, _ = terminal.first(re.compile("检测到修改"), saved)
                built, figure = terminal.first(BUILT, saved)
                results.append(
                    Edit(
                        seen - saved,
                        built - seen,
                        float(figure.group(2)),
                        shown - built,
                        shown - saved,
                        tree_cpu(serve.pid) - cpu,
                        rss_mib(serve.pid),
                    )
                )
                if search and LATER in figure.string:  # the index of this edit in place before the next save
                    at, _ = terminal.first(INDEXED, saved)
                    results[-1].indexed = at - saved
                elif search:  # in place with the pages (the own index, or Pagefind's unchanged)
                    results[-1].indexed = built - saved
                print(f"    edit {step}: {_row(results[-1])}", flush=True)
                page.wait_for_function("document.querySelector('script[data-status]').dataset.state !== undefined")
                time.sleep(1)  # the watch settles (no edit lands inside the next debounce window)
            browser.close()
    finally:
        serve.terminate()
        serve.wait(30)
        rename(path, original)
    return results


def _row(edit: Edit) -> str:
    return (
        f"{edit.total:.2f} s save → shown (seen {edit.saved_to_seen:.2f} s, rebuild {edit.rebuild:.2f} s "
        f"[serve says {edit.said:.1f} s], rebuilt → shown {edit.shown:.2f} s), {edit.cpu:.1f} s cpu, "
        f"serve {edit.rss_mib:.0f} MiB" + ("" if edit.indexed is None else f"; save → indexed {edit.indexed:.2f} s")
    )


def history_figures(root: Path, runs: int = 5) -> str:
    """What the preview's in-memory history saves each rebuild: `History.of` against the HEAD check."""
    from dangjian.history import History
    from dangjian.site.serve import Histories

    def median(call) -> float:  # noqa: ANN001
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    kept = Histories(root)
    kept.current()
    read, checked = median(lambda: History.of(root)), median(kept.current)
    return f"git history: read {read * 1000:.0f} ms, kept in memory {checked * 1000:.0f} ms (HEAD check) a rebuild"


def reload_only(edits: int, before: str | None) -> None:
    """Rebuilt → page shown, in process on the minimal fixture: the reload alone (no watch, a tiny
    rebuild), for the serve.py of this checkout and, with `before`, serve.py at that git revision."""
    import importlib.util

    from playwright.sync_api import sync_playwright

    import dangjian.site.serve as current

    modules = [("now", current)]
    if before:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{before}:generator/dangjian/site/serve.py"],
            check=True,
            capture_output=True,
        ).stdout
        work = Path(tempfile.mkdtemp(prefix="dj-serve-before-"))
        (work / "serve_before.py").write_bytes(source)
        spec = importlib.util.spec_from_file_location("dangjian.site.serve_before", work / "serve_before.py")
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        modules.insert(0, (before, old))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for label, module in modules * 2:  # twice each, alternating: the machine's load drifts
            times = _reloads(module, edits, browser)
            print(
                f"  serve.py {label}: rebuilt → shown median {statistics.median(times):.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f}) over {len(times)} edits",
                flush=True,
            )
        browser.close()


def _reloads(module, edits: int, browser) -> list[float]:  # noqa: ANN001 - a serve module, a Playwright browser
    work = Path(tempfile.mkdtemp(prefix="dj-serve-reload-"))
    root = work / "root"
    shutil.copytree(REPO / "tests" / "fixtures" / "minimal", root)
    preview = module.Preview(root, work / "site", with_search=False, say=lambda _: None)
    preview.rebuild()
    server = preview.server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/orgs/east/")
    page.wait_for_timeout(1500)
    org = root / "registry" / "orgs" / "east.yaml"
    text, times = org.read_text(encoding="utf-8"), []
    for step in range(edits):
        name = f"东村党支部{step}"
        org.write_text(text.replace("东村党支部", name), encoding="utf-8")
        preview.rebuild()
        done = time.monotonic()
        page.wait_for_function("n => document.querySelector('h1')?.textContent === n", arg=name, timeout=60_000)
        times.append(time.monotonic() - done)
        page.wait_for_timeout(1300 + 137 * step % 700)  # the next rebuild lands elsewhere in a poll's second
    getattr(preview, "close", lambda: None)()
    server.shutdown()
    server.server_close()
    page.close()
    shutil.rmtree(work, ignore_errors=True)
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=["town", "county", "city"])
    parser.add_argument("--edits", type=int, default=5, help="edits per scale (the median is printed)")
    parser.add_argument("--no-search", action="store_true", help="serve --no-search (the default builds search)")
    parser.add_argument("--work", type=Path, help="folder for registries, cache and sites (default: a new one)")
    parser.add_argument("--reload-only", action="store_true", help="time rebuilt → shown alone (minimal registry)")
    parser.add_argument("--before", help="with --reload-only: also serve.py at this git revision")
    args = parser.parse_args(argv)
    if not shutil.which("chromium"):
        print("chromium is needed (apt-get install chromium)", file=sys.stderr)
        return 3
    if args.reload_only:
        print("dangjian serve: rebuilt → the page shows the change (the reload alone)", flush=True)
        reload_only(args.edits, args.before)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="dj-serve-"))
    search = not args.no_search
    print(f"dangjian serve{'' if search else ' --no-search'}: save → the page shows the new name ({work})")
    for scale in args.scale or ["town", "county"]:
        results = measure(scale, work, args.edits, search)
        totals = [r.total for r in results]
        print(
            f"  {scale}: median {statistics.median(totals):.2f} s save → shown over {len(totals)} edits "
            f"(min {min(totals):.2f}, max {max(totals):.2f}); median rebuild "
            f"{statistics.median(r.rebuild for r in results):.2f} s, rebuilt → shown "
            f"{statistics.median(r.shown for r in results):.2f} s, "
            f"cpu {statistics.median(r.cpu for r in results):.1f} s; serve's memory "
            f"{results[0].rss_mib:.0f} → {results[-1].rss_mib:.0f} MiB from the first edit to the last",
            flush=True,
        )
        indexed = [r.indexed for r in results if r.indexed is not None]
        if indexed:
            print(f"  {scale}: median save → search index in place {statistics.median(indexed):.2f} s", flush=True)
        print(f"  {scale}: {history_figures(work / scale / 'root')}", flush=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
