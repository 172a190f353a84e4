"""`dangjian serve`: build, serve on localhost, rebuild when a registry file changes.

The preview behaves like the published site where a reader would notice: a missing page
gets the site's own 404.html with status 404. Pages it serves (never the built files) carry
a small script that asks `/__dangjian/version` every second and reloads the page when a
rebuild has succeeded. A build that fails (a registry or mkdocs.yml problem) is reported
and the last good site stays served.
"""

from __future__ import annotations

import http.server
import io
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from .build import BuildError, InvalidRegistry, build
from .theme import ThemeError

WATCHED = ("registry", "content", "mkdocs.yml")
VERSION_PATH = "/__dangjian/version"

# Files editors write beside the one being edited: Emacs locks and autosaves (.#x, #x#), backups
# (x~), Vim swap and write-test files (.x.swp, 4913), JetBrains and GNOME safe-write files,
# office lock files, and operating-system litter.
_TEMP_NAME = re.compile(
    r"^\.#|^#.*#$|~$|^\..+\.sw[a-z]$|^\d+$|\.tmp$|___jb_(?:tmp|old)___$|^\.goutputstream-|^~\$|^\.~lock\.|\.crswap$"
    r"|^\.DS_Store$|^Thumbs\.db$|^desktop\.ini$",
    re.IGNORECASE,
)

_RELOAD = """<script>/* dangjian serve：重新生成后自动刷新（只在预览中） */
(function () {{
  var seen = "{version}";
  function poll() {{
    fetch("{path}", {{cache: "no-store"}}).then(function (r) {{ return r.text(); }}).then(function (now) {{
      if (now !== seen) {{ location.reload(); }} else {{ setTimeout(poll, 1000); }}
    }}, function () {{ setTimeout(poll, 2000); }});
  }}
  setTimeout(poll, 1000);
}})();
</script>
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


class Preview:
    """One registry's preview: its build folder, the version the browser polls, the server."""

    def __init__(self, root: Path, out: Path, *, with_search: bool, say: Callable[[str], None]) -> None:
        self.root, self.out, self.with_search, self.say = Path(root), Path(out), with_search, say
        self.version = f"{time.time_ns():x}-0"
        self._builds = 0

    def rebuild(self) -> bool:
        """Build once; on success, tell the open pages to reload."""
        done = rebuild(self.root, self.out, self.with_search, self.say)
        if done:
            self._builds += 1
            self.version = f"{self.version.split('-')[0]}-{self._builds}"
        return done

    def server(self, host: str, port: int) -> http.server.ThreadingHTTPServer:
        """An HTTP server of the built site (not yet serving: call its serve_forever)."""
        return http.server.ThreadingHTTPServer((host, port), _handler(self))

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


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _handler(preview: Preview) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(preview.out), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path.split("?", 1)[0] == VERSION_PATH:
                self._send(200, "text/plain; charset=utf-8", preview.version.encode())
                return
            super().do_GET()

        def send_head(self) -> io.BytesIO | BinaryIO | None:
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
            if path is None:
                page = _NOT_BUILT.encode()
            else:
                with open(path, "rb") as handle:
                    page = handle.read()
            script = _RELOAD.format(version=preview.version, path=VERSION_PATH).encode()
            at = page.rfind(b"</body>")
            page = page[:at] + script + page[at:] if at >= 0 else page + script
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
        httpd.shutdown()
        httpd.server_close()


def rebuild(root: Path, out: Path, with_search: bool, say: Callable[[str], None]) -> bool:
    """Build once; report problems instead of stopping the preview."""
    from ..problems import format_text

    try:
        report = build(root, out, with_search=with_search)
    except InvalidRegistry as err:
        say(format_text(err.problems))
        say(f"✗ 登记簿有 {len(err.problems)} 个问题，预览保持上一次的结果")
        return False
    except (BuildError, ThemeError) as err:
        say(f"✗ {err}")
        say("✗ 网站没有重新生成，预览保持上一次的结果")
        return False
    say(f"✓ 已生成 {report.pages} 个页面，用时 {report.seconds:.1f} 秒")
    return True
