"""`dangjian serve`'s live reload over HTTP: the tag on served pages only, the long poll, a failed
rebuild's problems, and the /__dangjian/ addresses (issue 23). The browser side is in
test_serve_reload_browser.py."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import apply_overlay, copy_minimal
from dangjian.site.build import build
from dangjian.site.serve import SCRIPT_PATH, VERSION_PATH, Preview

BROKEN_ORG = "id: west\n"  # no name, kind, domain or parent; and its ranking row is now out of place
BROKEN_AT = [
    "registry/assessments/results/town-villages/2026-Q1.yaml:5:3",
    *["registry/orgs/west.yaml:1:1"] * 4,
]
HOSTILE_KIND = '<img src=x onerror="window.__pwned=1">'


@contextlib.contextmanager
def previewing(root: Path, out: Path, host: str = "127.0.0.1", *, with_search: bool = False):
    """A built preview served on a free port, in a thread; yields the preview and its base address."""
    messages: list[str] = []
    preview = Preview(root, out, with_search=with_search, say=messages.append)
    preview.rebuild()
    assert preview.indexed(120)  # with search: the first site's index is in place
    server = preview.server(host, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield preview, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        preview.close()
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # the same day for every build of a test
    with previewing(registry(), tmp_path / "site") as running:
        yield running


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def state(base: str, since: int | None = None) -> dict:
    status, body = get(base + VERSION_PATH.lstrip("/") + ("" if since is None else f"?wait={since}"))
    assert status == 200, body
    return json.loads(body)


def reload_tags(html: str) -> list:
    return BeautifulSoup(html, "html.parser").select(f'script[src="{SCRIPT_PATH}"]')


def every_file(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the tag: on served pages, never in the output ----------------------------------------------


def test_a_served_page_carries_the_reload_tag_with_the_sites_version(served):
    preview, base = served
    status, html = get(base + "orgs/east/")
    assert status == 200
    [tag] = reload_tags(html)
    assert tag["data-version"] == preview.version and tag["data-status"] == VERSION_PATH
    assert BeautifulSoup(html, "html.parser").body.find_all("script")[-1] == tag  # last in the body
    status, script = get(base + SCRIPT_PATH.lstrip("/"))
    assert status == 200 and "location.reload()" in script


@pytest.mark.parametrize("with_search", [False, True])
def test_the_output_folder_of_serve_is_the_output_of_build_byte_for_byte(registry, tmp_path, monkeypatch, with_search):
    """The reload tag and script exist only in serve's answers: what serve builds is what build builds."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    root = registry()
    with previewing(root, tmp_path / "preview", with_search=with_search) as (preview, base):
        assert reload_tags(get(base + "orgs/east/")[1])  # served with the tag…
        served = every_file(preview.out)
    build(root, tmp_path / "built", with_search=with_search)
    assert served == every_file(tmp_path / "built")  # …written without it
    assert not [name for name, data in served.items() if "__dangjian" in name or b"__dangjian" in data]


def test_a_missing_page_and_the_not_yet_built_page_carry_the_tag(served, registry, tmp_path):
    _, base = served
    status, html = get(base + "no/such/page/")
    assert status == 404 and len(reload_tags(html)) == 1
    broken = apply_overlay(copy_minimal(tmp_path / "broken"), {"registry/orgs/west.yaml": BROKEN_ORG})
    with previewing(broken, tmp_path / "never") as (preview, other):
        status, html = get(other)
        assert status == 404 and "网站还没有生成" in html and len(reload_tags(html)) == 1
        assert state(other)["failed"] and not preview.out.exists()


# --- /__dangjian/ belongs to serve ---------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def test_a_plain_web_server_of_the_output_has_no_dangjian_addresses(served):
    """What is published answers /__dangjian/ with nothing: only serve makes those addresses."""
    preview, _ = served
    handler = functools.partial(QuietHandler, directory=str(preview.out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        assert get(base + "/orgs/east/")[0] == 200
        assert get(base + VERSION_PATH)[0] == 404 and get(base + SCRIPT_PATH)[0] == 404
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    "address",
    [
        "__dangjian/planted.html",
        "__dangjian/",
        "%5F%5Fdangjian/planted.html",
        "orgs/../__dangjian/planted.html",
        "__dangjian/version/",
        "__DANGJIAN_NOT/../__dangjian/planted.html",
    ],
)
def test_serve_answers_dangjian_addresses_itself_never_from_the_output(served, address):
    """A file under __dangjian/ in the output folder (planted, or from a future kind) is never what a
    page's script reads: serve owns the prefix, however the address is spelled."""
    preview, base = served
    planted = preview.out / "__dangjian"
    planted.mkdir()
    (planted / "planted.html").write_text("<html><body>PLANTED</body></html>", encoding="utf-8")
    (planted / "version").write_text("PLANTED", encoding="utf-8")
    (planted / "index.html").write_text("<html><body>PLANTED</body></html>", encoding="utf-8")
    status, body = get(base + address)
    assert status == 404 and "PLANTED" not in body
    assert "PLANTED" not in get(base + "__dangjian/version")[1]


# --- the long poll -------------------------------------------------------------------------------


def test_a_waiting_page_is_answered_when_a_rebuild_finishes(served):
    preview, base = served
    before = state(base)
    assert before["version"] == preview.version and not before["building"] and not before["failed"]
    answers: list[dict] = []
    waiting = threading.Thread(target=lambda: answers.append(state(base, before["state"])))
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive() and answers == []  # nothing changed: the server holds the request
    org = preview.root / "registry/orgs/east.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("东村党支部", "东村党总支"), encoding="utf-8")
    assert preview.rebuild()
    waiting.join(30)
    [answer] = answers
    assert answer["state"] != before["state"]  # answered on the first change: the rebuild started
    after = state(base, answer["state"]) if answer["building"] else answer
    assert after["version"] != before["version"] and after["version"] == preview.version
    assert not after["building"] and not after["failed"]
    assert "东村党总支" in get(base + "orgs/east/")[1]


def test_a_long_poll_with_nothing_new_ends_with_the_same_state(served):
    preview, base = served
    preview.wait_seconds = 0.2
    now = state(base)
    assert state(base, now["state"]) == now


def test_closing_the_preview_answers_every_waiting_page(served):
    preview, base = served
    now = state(base)
    answers: list[dict] = []
    waiting = threading.Thread(target=lambda: answers.append(state(base, now["state"])))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()
    preview.close()
    waiting.join(10)
    assert answers == [now]


@pytest.mark.parametrize("wait", ["", "x", "-1", "1e3", "99999999999999999999999", "1&wait=2"])
def test_an_odd_wait_is_answered_at_once(served, wait):
    _, base = served
    status, body = get(base + VERSION_PATH.lstrip("/") + "?wait=" + wait)
    assert status == 200 and "version" in json.loads(body)


# --- a failed rebuild ----------------------------------------------------------------------------


def test_a_failed_rebuild_is_told_with_its_problems_and_the_last_good_site_stays(served):
    preview, base = served
    good = state(base)
    (preview.root / "registry/orgs/west.yaml").write_text(BROKEN_ORG, encoding="utf-8")
    assert not preview.rebuild()
    failed = state(base)
    assert failed["failed"] and failed["version"] == good["version"]  # no reload into a stale site
    assert failed["headline"] == "登记簿有 5 个问题，网站没有重新生成"
    assert [line.split(": ", 1)[0] for line in failed["problems"]] == BROKEN_AT
    assert "缺少必填的键 `name`" in failed["problems"][-1], failed["problems"]
    assert "西村" in get(base + "orgs/west/")[1]  # the last good site
    (preview.root / "registry/orgs/west.yaml").write_text(
        (Path(__file__).parent / "fixtures/minimal/registry/orgs/west.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    assert preview.rebuild()
    fixed = state(base)
    assert not fixed["failed"] and fixed["problems"] == [] and fixed["version"] != good["version"]


def test_a_broken_mkdocs_yml_is_told_with_its_position(served):
    preview, base = served
    (preview.root / "mkdocs.yml").write_text("theme:\n  name: material\n  custom_dir: x\n", encoding="utf-8")
    assert not preview.rebuild()
    failed = state(base)
    assert failed["failed"] and failed["headline"] == "登记簿有 1 个问题，网站没有重新生成"
    assert any(line.startswith("mkdocs.yml:3:3:") and "custom_dir" in line for line in failed["problems"])


def test_problems_quoting_markup_never_enter_a_served_page(served):
    """Problems quote the registry's values; they reach the page only as JSON, shown as text."""
    preview, base = served
    org = preview.root / "registry/orgs/east.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("kind: 党支部", f"kind: '{HOSTILE_KIND}'"), "utf-8")
    assert not preview.rebuild()
    assert any(HOSTILE_KIND in line for line in state(base)["problems"])
    for address in ["orgs/east/", "", "no/such/page/"]:
        assert "onerror" not in get(base + address)[1]


def _address_off_this_machine() -> str | None:
    """This machine's address on its network (not loopback), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # nothing is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_problems_are_listed_only_to_a_browser_on_this_machine(registry, tmp_path):
    """`--host 0.0.0.0` opens the preview to the network; problem texts (which quote registry values)
    stay on the editor's own machine: others are told there are problems, not what they say."""
    address = _address_off_this_machine()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    root = registry()
    with previewing(root, tmp_path / "site", host="0.0.0.0") as (preview, local):
        (root / "registry/orgs/west.yaml").write_text(BROKEN_ORG, encoding="utf-8")
        assert not preview.rebuild()
        remote = local.replace("127.0.0.1", address)
        here, there = state(local), state(remote)
    assert here["failed"] and [line.split(": ", 1)[0] for line in here["problems"]] == BROKEN_AT
    assert there["failed"] and there["problems"] == [] and there["headline"] == here["headline"]
    assert "终端" in there["note"] and "west.yaml" not in json.dumps(there, ensure_ascii=False)


@pytest.mark.parametrize(
    ("address", "here"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.168.1.5", False),
        ("10.0.0.1", False),
        ("::ffff:192.168.1.5", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_which_clients_are_on_this_machine(address, here):
    from dangjian.site.serve import _on_this_machine

    assert _on_this_machine(address) is here


# --- the git history is read again only when HEAD moves -------------------------------------------


def test_the_preview_reads_the_history_again_only_after_a_commit(tmp_path, monkeypatch):
    from git_helpers import RegistryRepo

    from dangjian import history
    from dangjian.site.serve import Histories

    repo = RegistryRepo(tmp_path / "repo")
    reads: list[Path] = []
    real = history.History.of.__func__
    monkeypatch.setattr(history.History, "of", classmethod(lambda cls, r, rev="HEAD": reads.append(r) or real(cls, r)))
    histories = Histories(repo.root)
    first = histories.current()
    assert histories.current() is first and len(reads) == 1
    (repo.root / "registry/orgs/east.yaml").write_text("id: east\n", encoding="utf-8")  # an edit, not a commit
    assert histories.current() is first and len(reads) == 1
    repo.commit("第二次")
    second = histories.current()
    assert len(reads) == 2 and [r.subject for r in second.revisions] == ["第二次", "初始登记簿"]
    assert [r.subject for r in second.revisions] == [r.subject for r in history.History.of(repo.root).revisions]


def test_outside_git_the_preview_has_no_history(registry):
    from dangjian.site.serve import Histories

    assert Histories(registry()).current().revisions == []


def test_a_page_that_leaves_while_waiting_leaves_no_traceback_in_the_terminal(served, capfd):
    """Every navigation closes a waiting request; answering it later must not print an error to the
    editor's terminal."""
    preview, base = served
    now = state(base)
    port = int(base.rsplit(":", 1)[1].strip("/"))
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port)) as left:
            left.sendall(f"GET {VERSION_PATH}?wait={now['state']} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    threading.Event().wait(0.5)  # the server has read the requests and waits
    preview._tell(building=False)  # the state changes: every waiting request is answered
    threading.Event().wait(1.0)  # the answers have been written (to closed connections)
    assert state(base)["state"] == now["state"] + 1
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err


def test_a_long_running_preview_keeps_no_earlier_builds_registry_alive(served):
    """serve runs for hours: what it keeps between edits must be what it means to keep, not every
    build's registry (the town registry leaked about 12 MiB an edit)."""
    import gc

    from dangjian.site.data import SiteData

    preview, _ = served
    org = preview.root / "registry/orgs/east.yaml"
    for step in range(3):
        org.write_text(org.read_text(encoding="utf-8").replace("东村党", f"东村{step}党", 1), encoding="utf-8")
        assert preview.rebuild()
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, SiteData)] == []


@pytest.mark.parametrize("with_search", [False, True])
def test_what_a_rebuild_keeps_for_the_next_is_written_after_the_pages_are_told(
    registry, tmp_path, monkeypatch, with_search
):
    """A save is shown first: the manifest, the records' digests and the gate's memo, which only the next build and
    the search index read, are written after the open pages are told of the new site; the next rebuild finds them
    (it carries every page over)."""
    from dangjian.site import incremental, privacy, serve as serve_module

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    root = registry()
    preview = Preview(root, tmp_path / "site", with_search=with_search, say=lambda _: None)
    assert preview.rebuild() and preview.indexed(120)
    written: dict[str, int] = {}

    def noting(name: str, real):
        def wrapper(*args, **kwargs):
            written[name] = preview._builds  # the sites the pages were told of when it ran
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(incremental, "save_manifest", noting("manifest", incremental.save_manifest))
    monkeypatch.setattr(incremental, "keep_digests", noting("digests", incremental.keep_digests))
    monkeypatch.setattr(privacy.Gate, "remember", noting("memo", privacy.Gate.remember))
    reports: list = []
    real_build = serve_module.build
    monkeypatch.setattr(serve_module, "build", lambda *a, **k: reports.append(real_build(*a, **k)) or reports[-1])
    org = root / "registry/orgs/east.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("东村党支部", "东村党总支"), encoding="utf-8")
    told = preview._builds
    assert preview.rebuild() and preview.indexed(120)
    assert {name: written.get(name) for name in ("manifest", "digests", "memo")} == dict.fromkeys(
        ("manifest", "digests", "memo"), told + 1
    )
    assert preview.rebuild() and preview.indexed(120)  # nothing changed: every page is the last build's
    assert reports[-1].reused == reports[-1].pages > 0
