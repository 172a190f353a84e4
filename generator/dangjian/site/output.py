"""The output folder of `build` and `merge`: refused unless dangjian made it, replaced atomically.

A new site replaces the whole output folder, so the folder must be one dangjian made (it holds
`MARKER`), an older dangjian site, empty, or absent; never the file system's root, the home
folder, a registry (or a folder holding one), a git work tree, or a mount point. Every reason
is given in Chinese before any work is done.

The new site is written in one known place beside the output, `PARENT/.dangjian-staging/`
(ignored by git, see .gitignore), as `NAME.XXXX/` next to a lock file `NAME.XXXX.lock` held
(flock) while the build runs. The swap exchanges the two folders in one step where the system
allows (Linux `renameat2(RENAME_EXCHANGE)`), so the output is always a whole site; elsewhere two
renames leave it absent for an instant, never half-written. A build killed with `kill -9` drops
its lock: the next build (of any output in the same parent) removes what it left, and only
entries with a lock it can take, so never a running build's.

The site a build replaces is kept, as `NAME.kept/` beside the staging entries, instead of being removed: the next
build takes it as its staging folder (`take_kept`, asked by `incremental.Carrier`, which settles it before anything
is written: every file but the pages carried over, already the live site's files, is moved out). A kept folder is
reused, or replaced, only when it is exactly the one this output kept: a folder (not a link) of this user, mode
0700, of the device and inode recorded in the cache beside the output's manifest (never in the registry: an output
inside a registry has its staging area there too, and a pull request can commit anything into it), holding the
mark file with the random token recorded there. Any other folder of that name is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_dir, size_text, write_atomic
from ..files import read_regular

from . import folders as _folders

_FOLDERS_SCRIPT = Path(_folders.__file__)
_FOLDERS_LIST = _folders.LIST
_FOLDER_FLAGS = _folders.FOLDER_FLAGS

try:
    import fcntl
except ImportError:  # Windows: stale entries are recognised by age instead
    fcntl = None  # type: ignore[assignment]

MARKER = ".dangjian-site"
STAGING = ".dangjian-staging"
MERGED = "api/shards.json"  # a merged site's list of shards (older merged sites have no marker)
_LOCK = ".lock"
_LOCKING = ".locking"
_OLD = ".old"
_TRASH = ".trash"  # what a reused staging folder moved out, removed after the swap
INDEXING = ".index"  # NAME.index: where a build makes its own search index, beside its staging folder NAME
PRE = ".pre"  # NAME.pre: the folder a build into no site makes for the next build to take (`prekeep`)
KEPT = ".kept"  # NAME.kept: the site the last build of NAME replaced, the next build's staging folder
KEPT_MARK = ".dangjian-kept"  # in a kept folder: its token, as recorded in the cache
_KEPT_RECORD = "kept.json"  # beside the output's manifest in the cache
_STALE_AGE = 24 * 3600  # without flock: an entry this old is no running build's


# --- which folders may be replaced --------------------------------------------------------------------------------


def marker_text(kind: str) -> str:
    """The marker file's content: which command wrote the folder."""
    return (
        f"dangjian {kind}\n"
        "这个文件夹由 dangjian 生成，dangjian build / merge 会整体替换它。\n"
        "This folder was written by dangjian; dangjian build and merge replace it whole.\n"
    )


def written_by(folder: Path) -> str | None:
    """ "build" or "merge" when `folder` holds dangjian's marker, else None."""
    path = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].split()
    except OSError:
        return None
    return first[1] if len(first) == 2 and first[0] == "dangjian" and first[1] in ("build", "merge") else None


def older_site(folder: Path) -> bool:
    """A site built by a dangjian from before the marker: its 404 page, sitemap, search script and open data."""
    return all((folder / rel).is_file() for rel in ("404.html", "sitemap.xml", "assets/dangjian/search.js")) and (
        (folder / "api/orgs.json").is_file() or (folder / MERGED).is_file()
    )


def made_by_dangjian(folder: Path) -> bool:
    """Any site dangjian wrote (built or merged, with the marker or from before it)."""
    return written_by(folder) is not None or older_site(folder)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def refuse_output(
    out: Path, root: Path | None, accept: Callable[[Path], bool] = made_by_dangjian, made_by: str = "dangjian"
) -> str | None:
    """Why the folder `out` may not be replaced by a new site (a Chinese sentence), or None when it may.

    `root` is the registry being built (None for `merge`); `accept` says whether an existing,
    non-empty folder is a site the command may replace, `made_by` names that command in the message.
    """
    link = _link_on_the_way(Path(os.path.abspath(out)), Path(os.path.abspath(root)) if root is not None else None)
    if link is not None:
        return (
            f"输出路径中的 {link} 是符号链接（指向 {os.path.realpath(link)}）："
            "一个提交进登记簿的链接可以把网站写到任何地方，"
            "请直接给出一个普通文件夹"
        )
    out = _real(out)
    if out.parent == out:
        return "不能把网站输出到文件系统的根目录 /：请用一个单独的文件夹，例如 ./site"
    try:
        home = _real(Path.home())
    except (RuntimeError, KeyError):  # no HOME and no password entry: no home folder to protect
        home = None
    if home is not None and (out == home or home.is_relative_to(out)):
        return f"输出文件夹 {out} 是主文件夹（或包含主文件夹 {home}）：生成网站会替换整个文件夹，请用一个单独的文件夹"
    if root is not None:
        reason = _registry_reason(out, _real(root))
        if reason:
            return reason
    if ".git" in out.parts:
        return f"输出文件夹 {out} 在 git 仓库的内部文件夹 .git 里面：请换一个输出文件夹"
    area = out.parent / STAGING
    if os.path.lexists(area) and (os.path.islink(area) or not area.is_dir()):
        # A link here (a pull request can commit one) would send the staging, and its clean-up, elsewhere.
        return f"{area} 不是 dangjian 建立的暂存文件夹（是符号链接或文件）：请删除它后重试"
    if not os.path.lexists(out):
        return None
    if not out.is_dir():
        return f"输出位置 {out} 是一个文件，不是文件夹"
    if os.path.lexists(out / ".git"):
        return f"输出文件夹 {out} 是一个 git 工作区（有 .git）：生成网站会替换整个文件夹，请换一个输出文件夹"
    if (out / "registry").is_dir():
        return f"输出文件夹 {out} 里有 registry/，像是一个登记簿：生成网站会替换整个文件夹，请换一个输出文件夹"
    if os.path.ismount(out):
        return f"{out} 是挂载点，不能替换：请把网站输出到它里面的一个文件夹，例如 {out / 'site'}"
    if any(out.iterdir()) and not accept(out):
        return f"输出文件夹 {out} 已有内容，但不是 {made_by} 生成的网站：为免误删，请换一个输出文件夹或先清空它"
    return None


def _link_on_the_way(out: Path, root: Path | None) -> Path | None:
    """`out` when it is a symbolic link, or a link between the registry root and `out` when `out` is inside it."""
    if os.path.islink(out):
        return out
    if root is not None and out.is_relative_to(root):
        path = root
        for part in out.relative_to(root).parts:
            path = path / part
            if os.path.islink(path):
                return path
    return None


def _registry_reason(out: Path, root: Path) -> str | None:
    if out == root or root.is_relative_to(out):
        return (
            f"输出文件夹 {out} 就是（或包含）登记簿的根目录 {root}：生成网站会替换整个文件夹，请用例如 {root / 'site'}"
        )
    for name in ("registry", "content", ".git"):
        if out.is_relative_to(root / name):
            return f"输出文件夹 {out} 在登记簿的 {name}/ 里面：请把网站输出到 {name}/ 之外，例如 {root / 'site'}"
    return None


# --- staging and the swap -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def staged(out: Path, kind: str = "build") -> Iterator[Path]:
    """A new, empty folder to write a site into: it replaces `out` (marked as dangjian's) if the block
    succeeds, and is removed, leaving `out` as it was, if the block raises."""
    area = out.parent / STAGING
    lock = _locked_area(area, out)
    staging = area / lock.name
    state = _Staging(out, lock, keep=kind == "build" and _record_path(out) is not None)
    try:
        staging.mkdir(mode=0o700)
        _open[os.fspath(staging)] = state
        try:
            yield staging
        finally:
            del _open[os.fspath(staging)]
        marker = staging / MARKER
        marker.unlink(missing_ok=True)  # a new file, whatever a reused folder held
        marker.write_text(marker_text(kind), encoding="utf-8")
        _swap(staging, out, lock, state)
    except Cancelled:  # a kept folder begun, stopped for a build: removed beside it, not waited for
        _remove_later([staging, *([state.trash] if state.trash is not None else [])], lock)
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if state.pre is not None:
            shutil.rmtree(state.pre, ignore_errors=True)
        if state.trash is not None:
            _remove_later([state.trash], lock)
        else:
            lock.drop()
            _remove_if_empty(area)
        raise


@dataclass
class _Staging:
    """A staging folder being written: its output, its lock, whether the site it replaces is kept, and the folder
    its reuse moved things out to (None: not reused)."""

    out: Path
    lock: "_Lock"
    keep: bool
    trash: Path | None = None
    token: str | None = None  # the kept folder's, when it is the staging folder (`take_kept`)
    pre: Path | None = None  # the folder made for the next build (`prekeep`), kept when `ready` after the swap
    ready: bool = False


_open: dict[str, _Staging] = {}  # the staging folders of this process's builds now running


def keeps(out: Path) -> bool:
    """Whether a build of `out` will keep the site it replaces (`kept_site`): a cache to record it in, and no kept
    folder in the way that is not ours."""
    kept = kept_of(out)
    return _record_path(out) is not None and (not os.path.lexists(kept) or _ours(kept, out))


def kept_site(out: Path) -> Path | None:
    """The site the last build of `out` replaced, kept for the next build (its kept folder), if there is one of ours:
    what `serve`'s search index made after publishing is updated from."""
    kept = kept_of(out)
    return kept if _ours(kept, out) else None


def take_kept(staging: Path) -> Path | None:
    """Make the site the last build of this output replaced (its kept folder) the staging folder `staging`,
    which must be one `staged` handed out and still empty: the folder to move unwanted files out to (removed after
    the swap), or None when there is no kept folder of ours (nothing done).

    The kept folder holds the files of the site two builds ago: some are hard links to the live site's files. The
    caller moves out everything it does not carry over before anything is written (`incremental.Carrier`)."""
    state = _open.get(os.fspath(staging))
    if state is None or not state.keep:
        return None
    kept = state.lock.area / (state.out.name + KEPT)
    token = _our_token(kept, state.out)
    if token is None:
        return None
    trash = state.lock.area / (state.lock.name + _TRASH)
    try:
        trash.mkdir(mode=0o700)
    except OSError:
        return None
    state.trash = trash
    try:
        os.rename(kept, staging)  # replaces the empty staging folder; refused if anything was written into it
    except OSError:
        return None
    state.token = token
    with contextlib.suppress(OSError):
        _record_path(state.out).unlink()  # type: ignore[union-attr]
    return trash


def _record_path(out: Path) -> Path | None:
    """Where the record of `out`'s kept folder lives: beside its manifest in the cache (None: no cache)."""
    from .incremental import manifest_path

    path = manifest_path(out)
    return None if path is None else path.with_name(_KEPT_RECORD)


def _kept_text(token: str) -> str:
    return (
        f"dangjian kept {token}\n"
        "这是 dangjian 上次替换下来的网站，下次生成时会重用或删除它。\n"
        "The site the last build replaced: the next build reuses or removes it.\n"
    )


def _ours(kept: Path, out: Path) -> bool:
    """Whether `kept` is the kept folder of `out` exactly as recorded (see the module's text)."""
    return _our_token(kept, out) is not None


def _our_token(kept: Path, out: Path) -> str | None:
    """The token of `kept` when it is the kept folder of `out` exactly as recorded (see the module's text): a new one
    each time a site is kept. Else None."""
    record_path = _record_path(out)
    if record_path is None:
        return None
    try:
        record = json.loads(read_regular(record_path, 1 << 16, own=True))
        info = os.lstat(kept)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("out") != os.fspath(out):
        return None
    if not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o700 or info.st_uid != os.geteuid():
        return None
    token = record.get("token")
    if [info.st_dev, info.st_ino] != record.get("inode") or not isinstance(token, str):
        return None
    return token if _mark_token(kept) == token else None


def taken_token(staging: Path) -> str | None:
    """The token of the kept folder the build writing into `staging` took as that folder (`take_kept`); None when it
    took none."""
    state = _open.get(os.fspath(staging))
    return None if state is None else state.token


_TOKEN = re.compile(r"[0-9a-f]{32}")


def _mark_token(kept: Path) -> str | None:
    """The token of the mark file in `kept` when it is a regular file exactly as `_keep` writes it (a link on the
    way is not followed, a pipe is not waited on), else None: what a folder must hold to be taken for a kept site."""
    try:
        text = read_regular(kept / KEPT_MARK, 4096)
    except OSError:
        return None
    return token_of_mark(text)


def token_of_mark(text: bytes) -> str | None:
    """The token of a mark file's bytes, when exactly as `_keep` writes it (`_mark_token`), else None."""
    first = text.split(b"\n", 1)[0].split()
    if (
        len(first) != 3
        or first[:2] != [b"dangjian", b"kept"]
        or not _TOKEN.fullmatch(first[2].decode("ascii", "replace"))
    ):
        return None
    token = first[2].decode("ascii")
    return token if text == _kept_text(token).encode("utf-8") else None


def prekeep(staging: Path, folders: list[str]) -> "Prekept | None":
    """For a build into no site (`out` absent: nothing to keep when it is swapped in), a folder beside its staging
    folder that becomes the output's kept folder, so that the next build writes into it instead of making every folder
    (0.13 ms each on this machine's disk: 37,000 at city). `folders` (the pages' addresses, "a/b/") are made in a
    process of their own while the build renders (`folders.py`); `Prekept.finish`, once the site is whole, links every
    file of the staging folder into it. None when the build keeps nothing, took a kept folder, or the output exists."""
    state = _open.get(os.fspath(staging))
    if state is None or not state.keep or state.token is not None or os.path.lexists(state.out):
        return None
    pre = state.lock.area / (state.lock.name + PRE)
    try:
        pre.mkdir(mode=0o700)
        state.pre = pre
        with open(pre / _FOLDERS_LIST, "xb") as file:
            file.write(b"\0".join(folder.encode("utf-8", "surrogateescape") for folder in folders))
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.fspath(_FOLDERS_SCRIPT), os.fspath(pre)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None  # `staged` removes `pre` with the staging folder, or after the swap: it is not ready
    return Prekept(state, process)


class Prekept:
    """The folder `prekeep` made for the next build, its folders being made by `process`."""

    def __init__(self, state: _Staging, process: subprocess.Popen[bytes]) -> None:
        self._state, self._process = state, process

    def finish(self, staging: Path) -> bool:
        """Once the site in `staging` is whole: wait for the folders, then link every file of the site into them
        (a folder the pages' addresses did not name made here). Kept for the next build after the swap when this
        succeeds; else removed then."""
        process, pre = self._process, self._state.pre
        if process.wait() != 0 or pre is None or os.path.lexists(pre / _FOLDERS_LIST):
            return False
        try:
            _link_tree(staging, pre, lambda: False, made=True)
        except OSError:
            return False
        self._state.ready = True
        return True

    def stop(self) -> None:
        """The build failed: the process stopped (its folder goes with the staging folder)."""
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        self._process.wait()


class Cancelled(Exception):
    """`keep_linked` stopped on request: nothing changed."""


def keep_linked(out: Path, cancelled: Callable[[], bool]) -> bool:
    """Give `out` a kept folder when it has none: a copy of its site whose folders are made anew and whose files are
    links to its own takes its place (swapped as a build's site is), and the site it replaces is kept (`_keep`).

    The first build after a site made whole has no kept folder to take, and makes every folder of its staging folder
    again: 37,000 at city, 0.13 ms each on this machine's disk, where linking a file takes 0.007 ms. `serve` calls this
    while it waits for the next save, so that its first rebuild is as quick as the next ones. Every file served is the
    same file, so the site does not change; only the marker is a new file. Returns whether a folder was kept. Nothing
    changes when the output cannot keep one (`keeps`), already has one, holds anything but folders and regular files,
    or when `cancelled()` says so (checked between folders): the copy begun is removed."""
    if not keeps(out) or kept_site(out) is not None or written_by(out) != "build":
        return False
    try:
        with staged(out) as staging:
            _link_tree(out, staging, cancelled)
    except (Cancelled, OSError):
        return False
    return kept_site(out) is not None


def _link_tree(source: Path, target: Path, cancelled: Callable[[], bool], made: bool = False) -> None:
    """Link every regular file under `source` into `target` (empty, or with folders `made` already), folders made
    anew, the marker aside; a link or any other kind of file is refused (OSError). Folders are opened without
    following a link."""
    top = os.open(source, _FOLDER_FLAGS)
    try:
        into = os.open(target, _FOLDER_FLAGS)
        try:
            _link_folder(top, into, cancelled, top_level=True, made=made)
        finally:
            os.close(into)
    finally:
        os.close(top)


def _link_folder(
    source: int, target: int, cancelled: Callable[[], bool], top_level: bool = False, made: bool = False
) -> None:
    if cancelled():
        raise Cancelled
    with os.scandir(source) as entries:
        found = [(entry.name, entry.stat(follow_symlinks=False).st_mode) for entry in entries]
    for name, mode in found:
        if top_level and name == MARKER:
            continue  # `staged` writes the new site's own
        if stat.S_ISREG(mode):
            os.link(name, name, src_dir_fd=source, dst_dir_fd=target, follow_symlinks=False)
        elif stat.S_ISDIR(mode):
            try:
                os.mkdir(name, dir_fd=target)
            except FileExistsError:
                if not made:
                    raise
            inner = os.open(name, _FOLDER_FLAGS, dir_fd=source)
            try:
                into = os.open(name, _FOLDER_FLAGS, dir_fd=target)  # never through a link
                try:
                    _link_folder(inner, into, cancelled, made=made)
                finally:
                    os.close(into)
            finally:
                os.close(inner)
        else:
            raise OSError(errno.EPERM, "neither a folder nor a regular file", name)


def kept_of(out: Path) -> Path:
    """Where the site the last build of `out` replaced is kept: `PARENT/.dangjian-staging/NAME.kept`."""
    return out.parent / STAGING / (out.name + KEPT)


@dataclass(frozen=True)
class KeptSite:
    """A kept folder the cache records: the output it was kept for, where it is, and its bytes on disk that are
    its own (a file also in the live site, a hard link, frees nothing)."""

    out: Path
    path: Path
    size: int


def recorded_kept() -> list[KeptSite]:
    """The kept folders the cache's records name and prove (`_ours`), one per output (none when caching is off)."""
    folder = cache_dir()
    found: list[KeptSite] = []
    if folder is None:
        return found
    try:
        entries = sorted(os.scandir(folder / "manifests"), key=lambda entry: entry.name)
    except OSError:
        return found
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            record = json.loads(read_regular(Path(entry.path) / _KEPT_RECORD, 1 << 16, own=True))
        except (OSError, ValueError):
            continue
        target = record.get("out") if isinstance(record, dict) else None
        if not isinstance(target, str) or not os.path.isabs(target):
            continue
        out = Path(target)
        if _record_path(out) != Path(entry.path) / _KEPT_RECORD:  # a record moved under another output's name
            continue
        if _ours(kept_of(out), out):
            found.append(KeptSite(out, kept_of(out), _own_bytes(kept_of(out))))
    return found


def remove_kept() -> list[KeptSite]:
    """Remove every kept folder the cache records (for `dangjian cache clean`, before the records go with the
    cache): each only when it is proven ours (`_ours`) and again, by its folder's handle, just before removal; the
    removal follows no link (`shutil.rmtree` by file handles). What was removed."""
    removed = []
    for site in recorded_kept():
        if _remove_proven(site):
            removed.append(site)
            record_path = _record_path(site.out)
            if record_path is not None:
                with contextlib.suppress(OSError):
                    record_path.unlink()
    return removed


def _remove_proven(site: KeptSite) -> bool:
    try:
        area = os.open(site.path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
    except OSError:
        return False
    try:
        if not _ours(site.path, site.out):
            return False
        # the folder in the area opened (not a link) is the one just proven: no link on the way was followed
        if not os.path.samestat(os.stat(site.path.name, dir_fd=area, follow_symlinks=False), os.lstat(site.path)):
            return False
        shutil.rmtree(site.path.name, dir_fd=area)
        return True
    except OSError:
        return False
    finally:
        os.close(area)


def _own_bytes(folder: Path) -> int:
    """Bytes on disk of the files under `folder` not linked from elsewhere (links not followed)."""
    size = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(dirpath, name))
                if info.st_nlink == 1:
                    size += info.st_blocks * 512
    return size


def unrecorded_kept(out: Path) -> Path | None:
    """The kept folder beside `out` when it looks like one dangjian kept (a folder, not a link, of this user,
    holding a mark file as `_keep` writes it) but the cache has no record proving it is this output's: a build whose
    record was lost (`dangjian cache clean` of an older dangjian, the cache folder deleted) left it there. Nothing
    proves it ours, so nothing reuses or removes it; the editor is told (`kept_warning`)."""
    out = Path(os.path.realpath(out))  # as a build records it
    kept = kept_of(out)
    try:
        info = os.lstat(kept)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return None
    if _mark_token(kept) is None or _ours(kept, out):
        return None
    return kept


def kept_warning(out: Path) -> str | None:
    """A warning (Chinese) naming an unrecorded kept folder beside `out` and how to remove it, or None."""
    kept = unrecorded_kept(out)
    if kept is None:
        return None
    return (
        f"{kept} 是 dangjian 以前保留的旧网站（{size_text(_own_bytes(kept))}），但缓存里没有证明它属于这个输出的记录"
        f"（缓存被清理或删除过），以后的生成不会再重用或删除它：确认不需要后请手动删除，"
        f"例如 rm -rf {shlex.quote(str(kept))}"
    )


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _keep(old: Path, state: _Staging) -> list[Path]:
    """Keep the site just replaced (`old`) as the output's kept folder for the next build, in place of the one kept
    before (moved out to be removed): what is left to remove (`old` itself when it cannot be kept)."""
    lock, out = state.lock, state.out
    kept = lock.area / (out.name + KEPT)
    record_path = _record_path(out)
    if record_path is None:
        return [old]
    removed: list[Path] = []
    try:
        if os.path.lexists(kept):
            if not _ours(kept, out):
                return [old]  # not ours: left alone, and nothing kept
            previous = lock.area / (lock.name + _OLD + KEPT)
            os.rename(kept, previous)
            removed.append(previous)
        token = secrets.token_hex(16)
        mark = old / KEPT_MARK
        mark.unlink(missing_ok=True)
        handle = os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(_kept_text(token).encode("utf-8"))
        old.chmod(0o700)
        os.rename(old, kept)
    except OSError:
        return [*removed, old]
    info = os.lstat(kept)
    record = {"out": os.fspath(out), "inode": [info.st_dev, info.st_ino], "token": token}
    if not write_atomic(record_path, json.dumps(record).encode("utf-8")):
        moved = lock.area / (lock.name + _OLD)
        with contextlib.suppress(OSError):
            os.rename(kept, moved)
            removed.append(moved)
    return removed


_AREA_ATTEMPTS = 5


def _locked_area(area: Path, out: Path) -> "_Lock":
    """The staging area, made if need be, with this build's lock in it. The previous build's detached cleanup
    removes the area when it is empty (`_remove_later`), possibly between the `mkdir` here and the lock file:
    then the area is made again (once the lock is in it, it is not empty and stays)."""
    for attempt in range(_AREA_ATTEMPTS):
        area.mkdir(parents=True, exist_ok=True)
        if os.path.islink(area):  # refused before, then swapped in
            raise OSError(errno.ELOOP, "staging folder is a symbolic link", str(area))
        remove_stale(out)
        try:
            return _Lock.create(area, out.name)
        except FileNotFoundError:
            if attempt == _AREA_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _swap(staging: Path, out: Path, lock: "_Lock", state: _Staging) -> None:
    """Put the new site in place of the old; the old one is kept for the next build (`_keep`), or removed
    afterwards by a detached process, with what a reused staging folder moved out.

    Removing a site of thousands of files can take seconds of disk time (on a disk mounted with
    `discard`, most of a build's wall time), so it is not waited for.
    """
    staging.chmod(0o755)
    leftovers = [state.trash] if state.trash is not None else []
    if not os.path.lexists(out):
        staging.rename(out)
        if state.pre is not None:  # kept for the next build when made whole, else removed
            leftovers += _keep(state.pre, state) if state.ready else [state.pre]
        if leftovers:
            _remove_later(leftovers, lock)
            return
        lock.drop()
        _remove_if_empty(lock.area)
        return
    if state.pre is not None:  # a site appeared where there was none: it is kept as always
        leftovers.append(state.pre)
    if _exchange(staging, out):
        old = staging  # now holding the previous site
    else:
        old = lock.area / (lock.name + _OLD)
        out.rename(old)
        try:
            staging.rename(out)
        except BaseException:
            old.rename(out)  # the previous site back in place
            raise
    leftovers += _keep(old, state) if state.keep else [old]
    _remove_later(leftovers, lock)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # the file system cannot: two renames
    raise OSError(code, os.strerror(code), str(b))


class _Lock:
    """The lock file of one staging entry, held (flock) while its build runs: NAME.XXXX.lock."""

    def __init__(self, area: Path, name: str, handle: int | None) -> None:
        self.area, self.name, self.handle = area, name, handle

    @property
    def path(self) -> Path:
        return self.area / (self.name + _LOCK)

    @classmethod
    def create(cls, area: Path, out_name: str) -> "_Lock":
        """A new lock, already held when it appears under its name (so no other build takes it as stale)."""
        handle, temporary = tempfile.mkstemp(prefix=f"{out_name}.", suffix=_LOCKING, dir=area)
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        name = Path(temporary).name[: -len(_LOCKING)]
        os.rename(temporary, area / (name + _LOCK))
        return cls(area, name, handle)

    @classmethod
    def take_stale(cls, path: Path) -> "_Lock | None":
        """The lock at `path` if no running build holds it (its build was killed), else None."""
        try:
            handle = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            return None
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(handle)
                return None
        elif time.time() - os.fstat(handle).st_mtime < _STALE_AGE:
            os.close(handle)
            return None
        suffix = _LOCK if path.name.endswith(_LOCK) else _LOCKING
        return cls(path.parent, path.name[: -len(suffix)], handle)

    def drop(self) -> None:
        """Remove the lock file and release it."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.release()

    def release(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                os.close(self.handle)
            self.handle = None


def remove_stale(out: Path) -> None:
    """Remove what killed builds left beside `out`: staging entries whose lock nobody holds (and only
    those: a folder without our lock file is not ours), and an older dangjian's `.NAME.XXXX` folders."""
    area = out.parent / STAGING
    with contextlib.suppress(OSError):
        for entry in sorted(area.iterdir()):
            if entry.name.endswith(_LOCKING):
                lock = _Lock.take_stale(entry)
                if lock is not None:
                    with contextlib.suppress(OSError):
                        entry.unlink()
                    lock.release()
            elif entry.name.endswith(_LOCK):
                lock = _Lock.take_stale(entry)
                if lock is not None:
                    names = [lock.name, lock.name + _OLD, lock.name + _TRASH, lock.name + _OLD + KEPT]
                    names += [lock.name + INDEXING, lock.name + PRE]
                    _remove_later([area / name for name in names], lock)
    for entry in _older_leftovers(out):
        _remove_later([entry], None)


def _older_leftovers(out: Path) -> list[Path]:
    """Staging and old-site folders of dangjian before STAGING: `.NAME.XXXXXXXX` (mkdtemp, mode 0700 until
    swapped) and `.NAME.old-XXXXXXXX`, holding nothing but what a site holds."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?:old-)?[a-z0-9_]{{8}}$")
    found = []
    with contextlib.suppress(OSError):
        for entry in out.parent.iterdir():
            if not pattern.match(entry.name):
                continue
            info = os.lstat(entry)
            if not stat.S_ISDIR(info.st_mode):
                continue
            if stat.S_IMODE(info.st_mode) != 0o700:  # mkdtemp's; a git checkout's folders are never 0700
                continue
            if any(os.path.lexists(entry / name) for name in (".git", "registry", "content")):
                continue
            found.append(entry)
    return found


def _remove_later(paths: list[Path], lock: _Lock | None) -> None:
    """Remove `paths` (then the lock file, then the staging area if empty) in a detached process that
    holds the lock until done; in this process when none can start."""
    targets = [str(p) for p in paths] + ([str(lock.path)] if lock else [])
    area = str(lock.area) if lock else ""
    script = 'rm -rf -- "$@"; [ -n "$AREA" ] && rmdir -- "$AREA" 2>/dev/null; exit 0'
    try:
        subprocess.Popen(
            ["sh", "-c", script, "sh", *targets],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "AREA": area},
            pass_fds=(lock.handle,) if lock and lock.handle is not None else (),
        )
    except OSError:
        for path in targets:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if lock:
            _remove_if_empty(lock.area)
    if lock:
        lock.release()


def _remove_if_empty(area: Path) -> None:
    with contextlib.suppress(OSError):
        area.rmdir()
