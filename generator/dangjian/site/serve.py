"""`dangjian serve`: build, serve on localhost, rebuild when a registry file changes.

The preview behaves like the published site where a reader would notice: a missing page
gets the site's own 404.html with status 404. Pages it serves (never the built files) carry
a small script that asks `/__dangjian/version` to answer when the preview's state changes
(a long poll): after a rebuild the page reloads itself; after a failed rebuild (a registry or
mkdocs.yml problem) it shows the problems over the last good site, which stays served, and
reloads once they are fixed. Nothing under `/__dangjian/` is ever written to the output.

With search, a save is shown first and indexed after: the rebuilt pages are published without a
search index (the previous one may hold text the edit removed: a member made private, a page
deleted), the pages reload and say the index is being updated, then the index is made, checked by
the privacy gate and moved in (`build.finish_search`); a newer save cancels it.
"""

from __future__ import annotations

import http.server
import io
import ipaddress
import json
import os
import posixpath
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .. import history as git_history
from ..cache import loaded_in_memory
from ..load import Loaded
from ..validate import Models, models_in_memory
from . import incremental, search
from .build import INDEXING, BuildError, BuildReport, InvalidRegistry, LaterSearch, build, finish_search
from .output import MARKER, keep_linked, kept_site
from .theme import ThemeError

WATCHED = ("registry", "content", "mkdocs.yml")
PREFIX = "/__dangjian/"  # the preview's own addresses: answered by serve, never read from the output
VERSION_PATH = PREFIX + "version"
SCRIPT_PATH = PREFIX + "reload.js"
WAIT_SECONDS = 25.0  # a long poll's longest wait; the browser asks again at once
# The index made after a save starts once the preview has served nothing for QUIET_SECONDS (the open pages reloaded
# and fetched what they show: the index's work, in the same interpreter, would slow theirs), at most QUIET_MOST after.
QUIET_SECONDS = 0.15
QUIET_MOST = 1.5
SHOWN_PROBLEMS = 200  # problems the page lists (the terminal has them all)

# Files editors write beside the one being edited: Emacs locks and autosaves (.#x, #x#), backups
# (x~), Vim swap and write-test files (.x.swp, 4913), JetBrains and GNOME safe-write files,
# office lock files, and operating-system litter.
_TEMP_NAME = re.compile(
    r"^\.#|^#.*#$|~$|^\..+\.sw[a-z]$|^\d+$|\.tmp$|___jb_(?:tmp|old)___$|^\.goutputstream-|^~\$|^\.~lock\.|\.crswap$"
    r"|^\.DS_Store$|^Thumbs\.db$|^desktop\.ini$",
    re.IGNORECASE,
)

# The tag added before </body> of every page serve answers with. Only the version (hex digits,
# a dash, a count) enters the page; the problems reach it as JSON and are shown as text.
_TAG = '<script src="{script}" data-status="{status}" data-version="{version}"{indexing}></script>\n'

# The script behind the tag. It asks for the state at once, then waits on the server until the state
# changes; a new version (a rebuild succeeded) reloads the page, a failed rebuild shows its problems
# over the page, a rebuild under way shows a small note. A hidden tab drops its request (browsers allow
# six connections to a host; many open tabs must not starve a page load) and asks again when shown.
_SCRIPT = """/* dangjian serve：重新生成后自动刷新；生成失败时在页面上列出问题（只在预览中，不在生成的网站里） */
(function () {
  "use strict";
  var me = document.currentScript;
  var address = me.getAttribute("data-status");
  var version = me.getAttribute("data-version");
  var unindexed = me.hasAttribute("data-indexing");  // served before its search index was in place
  var controller = null;
  var host = null;

  function panel() {
    if (!host) {
      host = document.createElement("div");
      host.id = "dj-serve";
      host.attachShadow({mode: "open"});
      document.body.appendChild(host);
    }
    return host.shadowRoot;
  }

  function clear() {
    if (host) { host.remove(); host = null; }
  }

  function element(name, text, style) {
    var node = document.createElement(name);
    if (text) { node.textContent = text; }
    if (style) { node.setAttribute("style", style); }
    return node;
  }

  function showNote(text) {
    var root = panel();
    root.replaceChildren(element("div", text,
      "position:fixed;right:1rem;bottom:1rem;z-index:2147483647;max-width:calc(100vw - 2rem);" +
      "box-sizing:border-box;padding:.5rem 1rem;border-radius:4px;" +
      "background:#fff;color:#1a1a1a;border:1px solid #555;font:16px/1.5 sans-serif"));
    root.firstChild.setAttribute("role", "status");
  }

  function showProblems(state) {
    var box = element("section", "",
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;background:#fff;color:#1a1a1a;" +
      "font:16px/1.6 sans-serif");
    box.setAttribute("role", "alert");
    box.setAttribute("aria-labelledby", "dj-serve-title");
    var title = element("h2", state.headline, "margin:0 0 1rem;color:#a4161a;font-size:1.4rem");
    title.id = "dj-serve-title";
    box.appendChild(title);
    var list = element("ol", "", "margin:0 0 1rem;padding-left:1.5rem");
    state.problems.forEach(function (line) {
      list.appendChild(element("li", line, "margin:.25rem 0;white-space:pre-wrap;overflow-wrap:anywhere;" +
        "font-family:monospace"));
    });
    if (state.problems.length) { box.appendChild(list); }
    box.appendChild(element("p", state.note, "margin:0 0 1rem"));
    var close = element("button", "暂时关闭", "font:inherit;padding:.25rem 1rem");
    close.type = "button";
    close.addEventListener("click", clear);
    box.appendChild(close);
    panel().replaceChildren(box);
  }

  function show(state) {
    if (state.failed) { showProblems(state); }
    else if (state.building) { showNote("正在重新生成网站……"); }
    else if (state.indexing) { showNote("搜索索引正在更新……更新完成前，本页的搜索暂不可用"); }
    else { clear(); }
  }

  function ask(since) {
    if (document.hidden) { return; }
    if (controller) { controller.abort(); }
    controller = new AbortController();
    var url = address + (since === null ? "" : "?wait=" + encodeURIComponent(since));
    fetch(url, {cache: "no-store", signal: controller.signal}).then(function (answer) {
      if (!answer.ok) { throw new Error(String(answer.status)); }
      return answer.json();
    }).then(function (state) {
      if (state.version !== version) { location.reload(); return; }
      // The index is in place now: this page's search box gave up on it, a reload finds it.
      if (unindexed && !state.indexing && !state.building && !state.failed) { location.reload(); return; }
      me.setAttribute("data-state", String(state.state));  // what the page last heard (tests wait on it)
      show(state);
      ask(state.state);
    }, function (error) {
      if (error.name !== "AbortError") { setTimeout(function () { ask(null); }, 2000); }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      if (controller) { controller.abort(); controller = null; }
    } else {
      ask(null);
    }
  });
  ask(null);
})();
"""

_NOT_BUILT = (
    "<!doctype html>\n"
    '<html lang="zh-Hans"><head><meta charset="utf-8"><title>网站还没有生成</title></head>\n'
    "<body><h1>网站还没有生成</h1><p>请看运行 dangjian serve 的终端里列出的问题；"
    "改正并保存后会自动生成，这个页面也会自动刷新。</p></body></html>\n"
)


class ServeError(Exception):
    """The preview cannot start (the address is taken or not ours)."""


def is_editor_temp(name: str) -> bool:
    """Whether a file name is an editor's temporary, swap, backup or lock file, not a registry file."""
    return bool(_TEMP_NAME.search(name))


def changed_files(root: Path, changes: Iterable[tuple[object, str]]) -> list[str]:
    """The registry files among watchfiles' changes, as paths from the root, editors' temporaries left out."""
    names = set()
    for _change, path in changes:
        if is_editor_temp(os.path.basename(path)):
            continue
        try:
            names.add(Path(path).relative_to(root).as_posix())
        except ValueError:
            names.add(Path(path).name)
    return sorted(names)


@dataclass(frozen=True)
class Outcome:
    """What one rebuild came to: done, or the problems that stopped it (in Chinese, one a line)."""

    ok: bool
    headline: str = ""
    problems: tuple[str, ...] = ()
    report: BuildReport | None = field(default=None, compare=False)  # the build's, when it succeeded


class Histories:
    """The registry's git history, read again only when HEAD names another commit.

    `git log --name-only` walks every commit of the repository on each build; while an editor
    saves files (and commits seldom), the history is the same from one rebuild to the next.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._head: tuple[Path, str] | None = None
        self._history: git_history.History | None = None

    def current(self) -> git_history.History:
        """The history as `History.of(root)` reads it now."""
        head = _head(self.root)
        if head is None:
            return git_history.History.empty()
        if head != self._head or self._history is None:
            self._history, self._head = git_history.History.of(self.root), head
        return self._history


def _head(root: Path) -> tuple[Path, str] | None:
    """The work tree holding `root` and the commit its HEAD names; None outside git or before any commit."""
    work_tree = git_history._repo(root)
    commit = git_history._commit(work_tree, "HEAD") if work_tree is not None else None
    return (work_tree, commit) if work_tree is not None and commit is not None else None


class Preview:
    """One registry's preview: its build folder, the state the open pages wait on, the server."""

    def __init__(self, root: Path, out: Path, *, with_search: bool, say: Callable[[str], None]) -> None:
        self.root, self.out, self.with_search, self.say = Path(root), Path(out), with_search, say
        self.wait_seconds = WAIT_SECONDS
        self.histories = Histories(self.root)
        # The registry's files as the last rebuild loaded them, by cache key (their bytes, path, type and the
        # loader's code): a save costs the files it changed, not unpickling every other one again.
        self.loaded: dict[str, Loaded] = {}
        # ...and the registry's model kind by kind: a kind whose files are the same is not indexed again.
        self.models: Models = {}
        self._epoch = f"{time.time_ns():x}"
        self._served = 0.0  # when the server last began to answer a request (time.monotonic)
        self._builds = 0  # rebuilds that succeeded: the site's version
        self._state = 0  # every change the pages are told of: a rebuild started, done, failed
        self._building = False
        self._failure: Outcome | None = None
        self._closed = False
        self._index_pending = False  # the site served has no search index yet (it is being made)
        self._changed = threading.Condition()
        # The search index made after the pages are shown: its thread, and the event that cancels it.
        self._indexing: tuple[threading.Thread, threading.Event] | None = None
        # Every page's search copy of the site this preview last published, and that site's marker file: the next
        # rebuild takes the copies of the pages it carries over from here (not from the cache or the pages).
        self._copies: tuple[search.Copies, incremental.Identity] | None = None
        # A kept folder made while the preview waits for a save (`output.keep_linked`), after a build that left none:
        # its thread and the event that cancels it.
        self._keeping: tuple[threading.Thread, threading.Event] | None = None

    @property
    def version(self) -> str:
        """The version of the site being served; it changes after each rebuild that succeeds."""
        return f"{self._epoch}-{self._builds}"

    def rebuild(self) -> bool:
        """Build once; on success, tell the open pages to reload, on failure, to show the problems. With search,
        the pages are published and shown first; the search index is made after, in a thread (`indexed` waits
        for it), and a newer rebuild cancels it."""
        self._cancel_index()  # never an index of this site swapped in over the next one
        self._finish_keeping()  # never a site swapped in during a build
        self._tell(building=True)
        outcome = Outcome(False, "网站没有重新生成：dangjian 出错了，请看终端")
        later: LaterSearch | None = None
        keep: Callable[[], None] | None = None
        try:
            with loaded_in_memory(self.loaded), models_in_memory(self.models):
                outcome = attempt(
                    self.root,
                    self.out,
                    self.with_search,
                    self.say,
                    self.histories.current(),
                    known=self._known(),
                    keep_later=True,
                )
            report = outcome.report
            if report is not None:
                self._copies = None
                if report.copies is not None:
                    self._copies = (report.copies, incremental.identity_of(self.out / MARKER))
                later, keep = report.later, report.keep
        finally:
            self._tell(building=False, outcome=outcome, indexing=later is not None)
        if keep is not None:
            keep()  # what the next build and the index read, written once the pages are told to reload
        if later is not None:
            self._start_index(later)
        elif outcome.ok:
            self._start_keeping()
        return outcome.ok

    def _start_keeping(self) -> None:
        """After a build that left the output no kept folder (a site made whole), make one while no save comes: the
        next rebuild then finds the folders it writes into instead of making each one."""
        if kept_site(self.out) is not None:
            return
        cancel = threading.Event()
        thread = threading.Thread(target=self._keep_linked, args=(cancel,), name="dangjian-keep", daemon=True)
        self._keeping = (thread, cancel)
        thread.start()

    def _keep_linked(self, cancel: threading.Event) -> None:
        copies = self._copies
        if keep_linked(self.out, cancel.is_set) and copies is not None and self._copies is copies:
            # the same files under a new marker: the copies are still this site's
            self._copies = (copies[0], incremental.identity_of(self.out / MARKER))

    def _finish_keeping(self) -> None:
        """Wait for the kept folder under way, if any. Not stopped: the build would make the folders it was making
        (at city 4.7 s of its 5–7 s), and a copy stopped is removed beside the build, on the same disk."""
        job, self._keeping = self._keeping, None
        if job is not None:
            job[0].join()

    def indexed(self, timeout: float | None = None) -> bool:
        """Wait until no search index is being made (the last rebuild's is in place, failed or cancelled);
        False if it still runs after `timeout` seconds."""
        job = self._indexing
        if job is not None:
            job[0].join(timeout)
            return not job[0].is_alive()
        return True

    def _known(self) -> search.Copies | None:
        """The copies of the site this preview last published, if the output is still that site."""
        if self._copies is None:
            return None
        copies, marker = self._copies
        try:
            return copies if incremental.identity_of(self.out / MARKER) == marker else None
        except OSError:
            return None

    def _start_index(self, later: LaterSearch) -> None:
        cancel = threading.Event()
        thread = threading.Thread(target=self._index, args=(later, cancel), name="dangjian-index", daemon=True)
        self._indexing = (thread, cancel)
        thread.start()

    def _cancel_index(self) -> None:
        """Stop the search index under way, if any, and wait until it has stopped (it puts nothing in place)."""
        job, self._indexing = self._indexing, None
        if job is not None:
            job[1].set()
            job[0].join()

    def _index(self, later: LaterSearch, cancel: threading.Event) -> None:
        """Make the index of the site just published and put it in place; its outcome is told to the pages
        unless a newer rebuild cancelled it."""
        outcome = Outcome(False, "搜索索引没有更新：dangjian 出错了，请看终端")
        try:
            if not self._quiet(cancel):
                raise search.Cancelled("搜索索引已被新的修改取代")
            started = time.monotonic()
            summary = finish_search(later, cancel.is_set)
            self.say(f"✓ {summary}，用时 {time.monotonic() - started:.1f} 秒")
            outcome = Outcome(True)
        except search.Cancelled:
            return
        except (BuildError, search.SearchError) as err:
            self.say(f"✗ {err}")
            self.say("✗ 搜索索引没有更新，预览中的搜索暂不可用")
            outcome = Outcome(False, "搜索索引没有更新", tuple(str(err).splitlines()))
        finally:
            if not cancel.is_set():
                self._tell(building=False, outcome=outcome, indexing=False, counted=False)

    def served(self) -> None:
        """The server began to answer a request."""
        self._served = time.monotonic()

    def _quiet(self, cancel: threading.Event) -> bool:
        """Wait until the server has answered nothing for QUIET_SECONDS (at most QUIET_MOST): False if cancelled."""
        began = time.monotonic()
        while not cancel.is_set():
            now = time.monotonic()
            if now - max(self._served, began) >= QUIET_SECONDS or now - began >= QUIET_MOST:
                return True
            cancel.wait(0.02)
        return False

    def _tell(
        self, *, building: bool, outcome: Outcome | None = None, indexing: bool = False, counted: bool = True
    ) -> None:
        """A change of state the pages are told of; `counted`: a successful `outcome` is a new site (the pages
        reload), not only its index in place."""
        with self._changed:
            self._building = building
            self._index_pending = indexing
            if outcome is not None:
                self._builds += int(outcome.ok and counted)
                self._failure = None if outcome.ok else outcome
            self._state += 1
            self._changed.notify_all()

    def status(self, since: int | None = None, *, details: bool = True) -> dict[str, Any]:
        """The preview's state as the pages read it; with `since`, once the state is no longer `since`
        (or after `wait_seconds`, or when the preview closes)."""
        with self._changed:
            if since is not None:
                self._changed.wait_for(lambda: self._state != since or self._closed, self.wait_seconds)
            return _status(self.version, self._state, self._building, self._failure, details, self._index_pending)

    def close(self) -> None:
        """Answer every waiting page now (the server is stopping); the search index or kept folder under way is
        stopped."""
        for job in (self._indexing, self._keeping):
            if job is not None:
                job[1].set()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def server(self, host: str, port: int) -> http.server.ThreadingHTTPServer:
        """An HTTP server of the built site (not yet serving: call its serve_forever)."""
        return _Server((host, port), _handler(self))

    def watch(self, stop: threading.Event | None = None) -> None:
        """Rebuild after every change to the registry, until interrupted (or `stop` is set).

        registry/ and content/ are watched; mkdocs.yml is compared by its stat every second,
        since editors save by replacing the file (a watch on the file itself would lose it)
        and it may not exist when the preview starts.
        """
        from watchfiles import watch

        paths = [self.root / name for name in WATCHED if name != "mkdocs.yml" and (self.root / name).is_dir()]
        settings = _stamp(self.root / "mkdocs.yml")
        for changes in watch(
            *paths,
            debounce=300,
            rust_timeout=1000,
            yield_on_timeout=True,
            stop_event=stop,
            watch_filter=lambda _change, path: not is_editor_temp(os.path.basename(path)),
        ):
            names = changed_files(self.root, changes)
            if (now := _stamp(self.root / "mkdocs.yml")) != settings:
                settings = now
                names.append("mkdocs.yml")
            if not names:
                continue
            more = f" 等 {len(names)} 个文件" if len(names) > 5 else ""
            self.say(f"检测到修改：{'、'.join(names[:5])}{more}")
            self.rebuild()


class _Server(http.server.ThreadingHTTPServer):
    """The preview's HTTP server: a browser that went away is not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Every navigation closes the page's waiting request; its answer then meets a closed connection.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _status(
    version: str, state: int, building: bool, failure: Outcome | None, details: bool, indexing: bool = False
) -> dict[str, Any]:
    """The JSON a page reads. The problems name registry files and may quote their values: they are
    listed only to a browser on this machine (`--host` may open the preview to the network)."""
    problems = list(failure.problems[:SHOWN_PROBLEMS]) if failure and details else []
    if failure is None:
        note = ""
    elif not details:
        note = "问题的详细内容只在运行 dangjian serve 的电脑上显示，也写在它的终端里。改正并保存后，页面会自动刷新。"
    elif len(problems) < len(failure.problems):
        note = f"这里列出前 {len(problems)} 个，全部问题见终端。改正并保存后，页面会自动刷新。"
    else:
        note = "预览仍是上一次生成成功的网站。改正并保存后，页面会自动刷新。"
    return {
        "version": version,
        "state": state,
        "building": building,
        "indexing": indexing,
        "failed": failure is not None,
        "headline": failure.headline if failure else "",
        "problems": problems,
        "note": note,
    }


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _own_address(path: str) -> str | None:
    """The preview's own address a request asks for (under /__dangjian/, however it is spelled), or None."""
    asked = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
    plain = "/" + posixpath.normpath(asked).lstrip("/") + ("/" if asked.endswith("/") else "")
    return plain if (plain.rstrip("/") + "/").startswith(PREFIX) else None


def _on_this_machine(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _indexing_work(path: str) -> bool:
    """Whether a request asks for a file of `finish_search`'s work folder in the output."""
    asked = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
    return any(part.startswith(INDEXING) for part in asked.replace("\\", "/").split("/"))


def _wait_for(query: str) -> int | None:
    """The state a long poll waits to see change (`?wait=N`), or None: answer at once."""
    values = urllib.parse.parse_qs(query).get("wait", [])
    return int(values[0]) if values and values[0].isdigit() and len(values[0]) < 19 else None


def _handler(preview: Preview) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(preview.out), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            preview.served()
            if (own := _own_address(self.path)) is not None:
                self._own(own)
                return
            super().do_GET()

        def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
            preview.served()
            if (own := _own_address(self.path)) is not None:
                self._own(own)
                return
            super().do_HEAD()

        def _own(self, address: str) -> None:
            """Answer an address under /__dangjian/ from the preview itself (a file of that name in the
            output is never served)."""
            if address == SCRIPT_PATH:
                self._send(200, "text/javascript; charset=utf-8", _SCRIPT.encode())
            elif address == VERSION_PATH:
                since = _wait_for(urllib.parse.urlsplit(self.path).query)
                state = preview.status(since, details=_on_this_machine(self.client_address[0]))
                self._send(200, "application/json", json.dumps(state, ensure_ascii=False).encode())
            else:
                self.send_error(404)

        def send_head(self) -> io.BytesIO | BinaryIO | None:
            if _indexing_work(self.path):  # a search index not yet checked by the privacy gate
                self.send_error(404)
                return None
            path = self.translate_path(self.path)
            if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
                path = os.path.join(path, "index.html")
            if path.endswith(".html") and os.path.isfile(path):
                return self._page(path, 200)
            return super().send_head()

        def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
            self.send_error(404)
            return None

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            if code != 404:
                super().send_error(code, message, explain)
                return
            missing = os.path.join(str(preview.out), "404.html")
            body = self._page(missing if os.path.isfile(missing) else None, 404)
            if self.command != "HEAD":
                self.copyfile(body, self.wfile)

        def _page(self, path: str | None, status: int) -> io.BytesIO:
            # The version is read before the page: a page newer than its version reloads once more,
            # never the other way round (a page older than its version would miss a reload).
            state = preview.status(details=False)
            indexing = " data-indexing" if state["indexing"] else ""
            tag = _TAG.format(script=SCRIPT_PATH, status=VERSION_PATH, version=state["version"], indexing=indexing)
            if path is None:
                page = _NOT_BUILT.encode()
            else:
                with open(path, "rb") as handle:
                    page = handle.read()
            at = page.rfind(b"</body>")
            page = page[:at] + tag.encode() + page[at:] if at >= 0 else page + tag.encode()
            return self._send(status, "text/html; charset=utf-8", page, write=False)

        def _send(self, status: int, kind: str, body: bytes, write: bool = True) -> io.BytesIO:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if write and self.command != "HEAD":
                self.wfile.write(body)
            return io.BytesIO(body)

        def send_response(self, code: int, message: str | None = None) -> None:
            self._caching_said = False
            super().send_response(code, message)

        def send_header(self, keyword: str, value: str) -> None:
            self._caching_said = getattr(self, "_caching_said", False) or keyword.lower() == "cache-control"
            super().send_header(keyword, value)

        def end_headers(self) -> None:
            # Nothing the preview serves may be kept by the browser: a search index (pagefind-entry.json, by a fixed
            # name) or page kept from before an edit would show what the edit removed.
            if not getattr(self, "_caching_said", False):
                super().send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    return Handler


def serve(root: Path, out: Path, host: str, port: int, with_search: bool, say: Callable[[str], None]) -> None:
    """Serve `out` and rebuild it from `root` on every change, until interrupted."""
    preview = Preview(root, out, with_search=with_search, say=say)
    try:
        httpd = preview.server(host, port)
    except OSError as err:
        raise ServeError(
            f"无法在 {host}:{port} 上启动预览：{err.strerror}（端口可能已被占用，用 --port 换一个）"
        ) from err
    preview.rebuild()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    say(
        f"预览地址：http://{host}:{httpd.server_address[1]}/ "
        "（修改登记簿后自动重新生成，浏览器自动刷新；按 Ctrl+C 退出）"
    )
    try:
        preview.watch()
    finally:
        preview.close()
        preview.indexed(30)
        httpd.shutdown()
        httpd.server_close()


def rebuild(root: Path, out: Path, with_search: bool, say: Callable[[str], None]) -> bool:
    """Build once, search index included; report problems instead of stopping the preview."""
    outcome = attempt(root, out, with_search, say)
    if outcome.report is not None and outcome.report.later is not None:
        try:
            finish_search(outcome.report.later)
        except (BuildError, search.SearchError) as err:
            say(f"✗ {err}")
            return False
    return outcome.ok


def attempt(
    root: Path,
    out: Path,
    with_search: bool,
    say: Callable[[str], None],
    history: git_history.History | None = None,
    *,
    known: search.Copies | None = None,
    keep_later: bool = False,
) -> Outcome:
    """Build once, the search index left for later (`build(search_later=True)`), and with `keep_later` what it keeps
    for the next build too (the report's `keep`); the problems that stopped it are said and returned, never raised."""
    from ..problems import format_text

    try:
        report = build(
            root, out, with_search=with_search, history=history, search_later=True, known=known, keep_later=keep_later
        )
    except InvalidRegistry as err:
        lines = format_text(err.problems)
        say(lines)
        say(f"✗ 登记簿有 {len(err.problems)} 个问题，预览保持上一次的结果")
        return Outcome(False, f"登记簿有 {len(err.problems)} 个问题，网站没有重新生成", tuple(lines.splitlines()))
    except (BuildError, ThemeError, search.SearchError) as err:
        say(f"✗ {err}")
        say("✗ 网站没有重新生成，预览保持上一次的结果")
        return Outcome(False, "网站没有重新生成", tuple(str(err).splitlines()))
    later = "，搜索索引随后更新" if report.later is not None else ""
    say(f"✓ 已生成 {report.pages} 个页面，用时 {report.seconds:.1f} 秒{later}")
    return Outcome(True, report=report)
