"""`dangjian serve`: build, serve on localhost, rebuild when a registry file changes."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable
from pathlib import Path

from .build import BuildError, InvalidRegistry, build

WATCHED = ("registry", "content", "mkdocs.yml")


def _handler(site: Path) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
            pass

    return Handler


def serve(root: Path, out: Path, host: str, port: int, with_search: bool, say: Callable[[str], None]) -> None:
    """Serve `out` and rebuild it from `root` on every change, until interrupted."""
    from watchfiles import watch

    rebuild(root, out, with_search, say)
    httpd = http.server.ThreadingHTTPServer((host, port), _handler(out))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    say(f"预览地址：http://{host}:{httpd.server_address[1]}/ （修改登记簿后自动重新生成；按 Ctrl+C 退出）")
    paths = [root / name for name in WATCHED if (root / name).exists()]
    try:
        for changes in watch(*paths, debounce=300):
            names = sorted({Path(p).name for _, p in changes})
            say(f"检测到修改：{'、'.join(names[:5])}")
            rebuild(root, out, with_search, say)
    finally:
        httpd.shutdown()


def rebuild(root: Path, out: Path, with_search: bool, say: Callable[[str], None]) -> bool:
    """Build once; report problems instead of stopping the preview."""
    from ..problems import format_text

    try:
        report = build(root, out, with_search=with_search)
    except InvalidRegistry as err:
        say(format_text(err.problems))
        say(f"✗ 登记簿有 {len(err.problems)} 个问题，预览保持上一次的结果")
        return False
    except BuildError as err:
        say(f"✗ {err}")
        return False
    say(f"✓ 已生成 {report.pages} 个页面，用时 {report.seconds:.1f} 秒")
    return True
