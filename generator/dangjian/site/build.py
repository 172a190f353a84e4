"""`dangjian build`: validate, compute, render every page, index for search, check privacy,
then swap the new site into place. A failure at any step leaves the previous site as it was."""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import pickle
import select
import shutil
import signal
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from ..assets import AssetError, published as published_assets
from ..cache import cache_dir
from .bytecode import template_cache
from ..history import History, Revision, public_subject
from ..oserrors import describe
from ..parallel import ChildFailed, fork_pool, fork_workers, gc_paused, renew_after, shared
from ..problems import Problem
from .. import cms
from ..figures import shown, two_decimals
from ..validate import LAZY_KINDS, RegistryChanged, validate, waited
from . import feeds, incremental, keptpages, ownsearch, search
from . import images
from .data import NAMES, SiteData
from ..suppression import THRESHOLD
from .withheld import SUPPRESSED, hidden
from .datapackage import export_files
from .markdown import adopt as adopt_rendered, keep as keep_rendered, render, render_inline, rendered_since
from . import output
from .output import MARKER, keeps, kept_site, kept_warning, refuse_output, staged
from . import kinds
from .kinds.base import SitePage
from .kinds.home import changes_page
from .pages import nav_entries
from .privacy import Gate, Leak
from .search import Copies
from .theme import TEMPLATES, MaterialTheme, NavEntry, PageSpec


class BuildError(Exception):
    """The site could not be built; the previous site is untouched."""


class OutputError(BuildError):
    """The output folder may not be replaced (not dangjian's, a registry, the home folder…): nothing was done."""


class InvalidRegistry(BuildError):
    """Validation found problems: nothing is built."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"登记簿有 {len(problems)} 个问题")
        self.problems = problems


@dataclass
class BuildReport:
    """What a build wrote."""

    out: Path
    pages: int
    files: int
    seconds: float
    search: str
    warnings: list[str] = field(default_factory=list)  # in Chinese: what is built but falls short (no base_url…)
    reused: int = 0  # pages carried over unchanged from the previous output (an incremental build)
    # `build(search_later=True)`: every page's search copy (what the next such build of `out` may be given as
    # `known`), and the index still to make (`finish_search`), None when the previous one served as it was
    copies: Copies | None = None  # (a field `search` above: the module is not reachable by that name here)
    later: LaterSearch | None = None
    # `build(keep_later=True)`: what the build keeps for the next one (the manifest, the records' digests, the
    # gate's memo), left to the caller to run once the site is shown and before anything else reads them
    keep: Callable[[], None] | None = None


@dataclass
class LaterSearch:
    """The search index a `build(search_later=True)` published its site without: what `finish_search` needs."""

    out: Path
    copies: search.Copies | None  # every indexed page's copy (Pagefind's index)
    gate: Gate  # the build's privacy gate (its registry's private names)
    marker: incremental.Identity  # the published site's marker file: another build's site is never indexed
    own: ownsearch.Pending | None = None  # the own index begun (its copies taken, its state read)


def build_date() -> datetime.date:
    """Today, or the date of SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).date()
    return datetime.date.today()


def relative(target: str, page_url: str) -> str:
    """`target` (a path from the site root) as seen from the page at `page_url`."""
    depth = page_url.count("/")
    prefix = "../" * depth
    return (prefix + target) if (prefix or target) else "./"


def _cn_date(value: datetime.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _hidden_or(show: Callable[[Any], str]) -> Callable[[Any], str]:
    """A number filter that prints a hidden figure's mark (少于5人, —), never the 0 standing in for it."""
    return lambda value: str(value) if hidden(value) else show(value)


def recorded_globals(data: SiteData) -> dict[str, Any]:
    """The templates' globals that look records up: a page's lookups in them are recorded (`incremental`)."""
    return {
        "orgs": data.org_views,  # what a page shows of an org: `data.OrgView`
        "venues": data.reg.ids("venue"),  # an activity's venue, in the activity lists
    }


def tabled_globals(data: SiteData) -> dict[str, Mapping[str, Any]]:
    """The globals a page reads by key of a value in its context (`incremental.note_read`): their tables are kept
    with the manifest, and a page holds while the keys it read have the same values."""
    return {NAMES: data.org_names}  # an org's name, where a page reads it of an `OrgView`


def content_environment(data: SiteData, canon: incremental.Canon | None = None) -> Environment:
    """The Jinja environment of page bodies: autoescape on, the filters templates use (the kinds' own too).

    Besides its context, a page body reads nothing but constants and the `recorded_globals`, whose lookups
    `incremental.recording` notes (digested with `canon`) for the next build to check."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / "pages")),
        autoescape=select_autoescape(default=True),
        bytecode_cache=template_cache(),
        auto_reload=False,  # one environment per build: no stat of the template at each of its ~14,000 uses
    )
    env.filters.update(
        md=render,
        mdi=render_inline,
        cn_date=_cn_date,
        num=_hidden_or(shown),
        two=_hidden_or(lambda v: str(two_decimals(v))),
    )
    for kind in kinds.KINDS:
        env.filters.update(kind.filters)
    canon = canon or incremental.Canon()
    for name, mapping in recorded_globals(data).items():
        env.globals[name] = incremental.Recorded(name, mapping, canon)
    env.globals.update(THRESHOLD=THRESHOLD, SUPPRESSED=SUPPRESSED)  # the privacy threshold, written once
    return env


def render_body(
    env: Environment,
    page: SitePage,
    revisions: list[Revision] | None = None,
    *,
    search_copy: bool = True,
    copy_apart: bool = False,
) -> tuple[str, str | None]:
    """A page's article: its title and body, marked as the part search indexes (with the hidden copy
    search indexes when `search_copy`: `search.index` moves it out before publishing), then its history;
    with `copy_apart`, the copy is returned beside the article instead of written into it (the own index
    takes it from there)."""
    template = env.get_template(page.template)
    rel = lambda target: relative(target, page.url)  # noqa: E731
    body = template.render(page.context, rel=rel)
    content = f'<h1 id="dj-title">{escape(page.title)}</h1>\n{body}'
    history = env.get_template("_history.html").render(revisions=revisions, rel=rel) if revisions else ""
    copy = search.simplified_copy(content) if search_copy else ""
    if copy_apart and search_copy:
        return f"<div data-pagefind-body>{content}</div>{history}", copy
    return f"<div data-pagefind-body>{content}{copy}</div>{history}", None


def _write(path: Path, data: bytes | str) -> None:
    """Write a new file of the staging folder (never one carried over from the previous site: those are links).

    A new inode even if a file is there (a staging folder reused from two builds ago is emptied of everything but
    the pages carried over and the other files left in place before anything is written, see `output.take_kept` and
    `_Site.put`, which writes over a file left in place only through here; this is the second guard)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def build(
    root: Path,
    out: Path | None = None,
    *,
    with_search: bool = True,
    history: History | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cold: bool = False,
    search_later: bool = False,
    known: search.Copies | None = None,
    search_engine: str | None = None,
    keep_later: bool = False,
) -> BuildReport:
    """Build the site of the registry at `root` into `out` (default ROOT/site), atomically.

    Pages show their history from `history` (default: the git history of `root`, if any). Pages whose inputs
    did not change since the last build of `out` are carried over from it (`incremental`), unless `cold`.

    With search and `search_later` (`serve`: the edit is shown first), the pages are published without the search
    index unless the previous one serves them as it is: the report's `later` is what `finish_search` needs to put
    it in place. Until then the site has no pagefind/ at all, never an index of another site. `known` is the
    report's `copies` of the previous such build of `out` (its pages carried over are not read for their copy).

    `search_engine` is "pagefind" or "own" (`ownsearch`: updated from the previous one; with `search_later`, after the
    site is published, as Pagefind's, when some pages were carried over and the site replaced is kept to update it
    from); None: DANGJIAN_SEARCH_ENGINE, else the own index.

    With `keep_later` (`serve`: a save is shown first), what the build keeps for the next one is not written: the
    report's `keep` writes it, to be run once the site is shown and before the next build or the search index. Until it
    runs, `out` has no manifest (the next build would be a cold one) and the gate's memo is the last build's.
    """
    started = time.monotonic()
    root = Path(root).resolve()
    out = Path(out) if out else root / "site"
    reason = refuse_output(out, root)
    if reason:
        raise OutputError(reason)
    out = out.resolve()
    try:
        engine = ownsearch.engine(search_engine) if with_search else None
    except ValueError as err:
        raise BuildError(str(err)) from err
    history = history if history is not None else History.of(root)
    # The ledger's entries are loaded only if an aggregate reading them has to be computed (`kept`)
    # The site the last build replaced, kept to be this one's staging folder, is listed beside validation (a walk of
    # its folders, waiting on the file system): the carrying settles it from the listing (`incremental.KeptListing`).
    listing = incremental.KeptListing(None if cold else out)
    # A rebuild goes on while the cross-file rules run apart (`validate(apart=True)`); nothing is published before
    # they pass (`_Rules.passed`, before the privacy gate), and what fails before that, fails as they say first.
    try:
        result = validate(root, lazy=LAZY_KINDS, apart=not cold)
        if result.problems:  # the files' own, told with the rules', all at once
            raise InvalidRegistry(result.finish().problems)
    except BaseException:
        listing.stop()
        raise
    rules = _Rules(result.waiting)
    with listing, rules.checked(), _unchanged_registry(), _frozen_until_done():
        # The aggregates and the pages' contexts make millions of objects that live until the pages are written, as
        # loading does: the collector is paused for them too (its full passes took 7 of a city rebuild's 59 s).
        with gc_paused():
            data = SiteData(result.registry, build_date(), reuse=not cold)  # a cold build computes every aggregate
            warnings = feeds.warnings(data.settings.get("base_url")) + _withheld_rankings(data)
            warnings += [orphan] if (orphan := kept_warning(out)) else []  # a kept site no cache record proves ours
            gate = Gate(result.registry)
        kept = incremental.kept_digests(out, result.keys)  # the records' digests of the last build, by their files
        kept_later: list[Callable[[], None]] = []  # what is kept for the next build, once the site is in place
        del result
        with machine_errors(), staged(out) as staging, _prekeeping() as prekept:
            with gc_paused():
                site = _render_site(
                    root,
                    data,
                    staging,
                    progress,
                    history,
                    gate,
                    with_search,
                    None if cold else out,
                    engine,
                    kept,
                    listing,
                    prekept,
                )
            _, admin_warning = cms.site_admin(data.settings, staging)  # /admin/ when site.yaml has `cms:`
            warnings += [admin_warning] if admin_warning else []
            data.keep_parts()  # each org's own parts of the counting, for the next build
            keep_rendered()  # the texts rendered, for the next build (the feeds render theirs at every build)
            del data
            if with_search and engine != "own":
                # Pagefind needs as much memory as the registry: give the registry's back first. (Without Pagefind,
                # what validation and rendering froze stays frozen to the end of the build, `_frozen_until_done`:
                # reference counting frees it, and a full collection here took 0.3 s of a city rebuild.)
                gc.unfreeze()  # validation and rendering froze what they made (parallel.gc_paused)
                gc.collect()
            summary = ""
            copies: search.Copies | None = None
            keep_index: Callable[[], None] | None = None  # the own index's state, kept once the site is published
            own_later: ownsearch.Pending | None = None  # the own index begun, made once the site is published
            # the own index made now, beside the gate (`_own_index_beside_gate`), from this previous site and changes
            own_now: tuple[Path | None, frozenset[str] | None] | None = None
            if with_search and engine == "own":
                previous, changed = _search_scope(site)
                if search_later and previous is not None and changed is not None and keeps(out):
                    own_later = ownsearch.begin(
                        staging, previous, changed, keep=out, given=site.copies, pages=site.page_urls()
                    )
                    ownsearch.forget_state(own_later)  # it describes an index this site will not have
                    summary = "搜索索引稍后更新"
                else:
                    own_now = (previous, changed)
                _write(staging / search.CONFIG, ownsearch.config())
            elif with_search and search_later:
                previous, changed = _search_scope(site)
                copies = search.take_copies(staging, previous, changed, known=known, keep=out, whole=True)
                summary = "搜索索引稍后更新"
                if search.reusable(copies):
                    summary = search.write_index(staging, copies, previous, keep=out)
                _write(staging / search.CONFIG, search.own_config())
            elif with_search:
                summary = _search_index(staging, site, out)
                _write(staging / search.CONFIG, search.own_config())
            # Pagefind's copies were taken out of the pages rendered (the own index's never went in: `_Renderer`)
            site.published(staging, reread=with_search and engine != "own")
            rules.passed()  # the registry valid before the gate reads the site (an invalid one is told as such)
            # A page the gate found clean last time, the same file now (identity) with the same bytes, is not read.
            # Without its own index yet, the memo keeps what it knows of the last one's files (`finish_search`).
            if own_now is not None:
                leaks, files, summary, keep_index = _own_index_beside_gate(gate, staging, site, out, *own_now)
            else:
                unwalked = _in_own_index if own_later is not None else None
                leaks = gate.scan_tree(
                    staging, cache_dir(), site.known(), keep=unwalked, later=kept_later if keep_later else None
                )
                files = gate.files  # every file under the staging folder (only regular ones: the gate refuses others)
            if leaks:
                listed = "；".join(f"{leak.file}：{leak.what}" for leak in leaks[:20])
                raise BuildError(f"隐私检查未通过，网站没有发布。发现：{listed}")
            for folder in prekept:  # the site whole: its files linked into the folder made for the next build
                folder.finish(staging)
            incremental.forget_manifest(out)  # until the new one is saved, the previous one describes another site
        if keep_index is not None:
            kept_later.insert(0, keep_index)
        kept_later.append(
            lambda: incremental.save_manifest(out, site.key, site.entries, site.groups, site.files, site.tables)
        )
        kept_later.append(lambda: incremental.keep_digests(out, kept, site.canon))
        if not keep_later:
            _in_order(kept_later)()
        later = None
        if copies is not None and not (out / "pagefind").is_dir():
            later = LaterSearch(out, copies, gate, incremental.identity_of(out / MARKER))
        elif own_later is not None:
            later = LaterSearch(out, None, gate, incremental.identity_of(out / MARKER), own=own_later)
        seconds = time.monotonic() - started
        report = BuildReport(out, site.pages, files, seconds, summary, warnings, reused=len(site.carried))
        report.copies, report.later = copies, later
        report.keep = _in_order(kept_later) if keep_later else None
        return report


def _in_order(work: list[Callable[[], None]]) -> Callable[[], None]:
    """One call running each of `work` in turn."""

    def run() -> None:
        for step in work:
            step()

    return run


class _Rules:
    """The cross-file rules run apart while the build goes on (`validate(apart=True)`'s `waiting`; None: done)."""

    def __init__(self, waiting: Callable[[], list[Problem]] | None) -> None:
        self._waiting = waiting

    def passed(self) -> None:
        """Wait for the rules: InvalidRegistry with their problems, BuildError when they could not finish."""
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        try:
            problems = waited(waiting)
        except ChildFailed as err:
            raise BuildError("登记簿的跨文件检查没有完成（检查进程意外退出），网站没有发布：请重新生成") from err
        if problems:
            raise InvalidRegistry(problems)

    @contextmanager
    def checked(self) -> Iterator[None]:
        """What fails inside before the rules passed (a page made of an invalid registry: a reference to nothing)
        fails as the rules say, when they found problems; else as it failed."""
        try:
            yield
        except BaseException:
            self.passed()
            raise


@contextmanager
def _prekeeping() -> Iterator[list[output.Prekept]]:
    """The folder made for the next build (`output.prekeep`), its process stopped if the build fails (the folder
    goes with the staging folder)."""
    made: list[output.Prekept] = []
    try:
        yield made
    except BaseException:
        for folder in made:
            folder.stop()
        raise


@contextmanager
def _frozen_until_done() -> Iterator[None]:
    """What the build froze out of the collector's sight (`parallel.gc_paused`) given back to it when the build ends,
    however it ends (`serve` builds again and again in one process), without a collection of its own."""
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _unchanged_registry() -> Iterator[None]:
    """A file loaded after validation (the ledger, lazily) that is no longer what validation saw stops the build
    as any error does, the previous site untouched (`validate.RegistryChanged`)."""
    try:
        yield
    except RegistryChanged as err:
        raise BuildError(f"网站没有生成，原来的网站保持不变：{err}") from err


def finish_search(later: LaterSearch, cancelled: Callable[[], bool] | None = None) -> str:
    """Put the search index of the site a `build(search_later=True)` published in place: made from the copies that
    build kept, checked by its privacy gate, then moved into the output in one rename (the site had no index: a
    reader sees no index, then the whole index). The summary line in Chinese.

    The own index (`later.own`) is updated from the index of the site this one replaced (kept for the next build:
    `output.kept_site`; else made cold), and its state kept only once it is in place; the gate knows the files
    carried over from the last index by its memo and adds what it reads to it (the build kept what it knew of
    them: `_in_own_index`). Pagefind's is made from the copies.

    Nothing is put in place when the output is no longer that build's site (BuildError) or when `cancelled()` says
    so (search.Cancelled, asked while Pagefind runs, before the gate and once more before the rename)."""
    out = later.out

    def same_site() -> None:
        try:
            if incremental.identity_of(out / MARKER) == later.marker:
                return
        except OSError:
            pass
        raise BuildError("输出文件夹已被另一次生成替换，这次的搜索索引没有放进去")

    def stop_if_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise search.Cancelled("搜索索引已被新的修改取代")

    with machine_errors():
        same_site()
        # Inside the output, so the rename is one step on one file system; serve never answers from it.
        work = Path(tempfile.mkdtemp(prefix=INDEXING, dir=out))
        try:
            keep_state: Callable[[], None] | None = None
            if later.own is not None:
                folder, previous = ownsearch.FOLDER, kept_site(out) or out  # no index in `out`: made cold
                summary, keep_state = ownsearch.complete(later.own, out, previous, work / folder)
            else:
                assert later.copies is not None
                folder, copies = "pagefind", later.copies
                copies = search.Copies(dict(copies.digests), copies.copies, copies.unindexed)
                summary = search.write_index(work, copies, keep=out, pages=out, cancelled=cancelled)
            stop_if_cancelled()
            leaks = _scan_apart(later.gate, work, cancelled, memo=later.own is not None)  # every new file, its path
            if leaks:
                listed = "；".join(f"{leak.file}：{leak.what}" for leak in leaks[:20])
                raise BuildError(f"隐私检查未通过，搜索索引没有发布。发现：{listed}")
            stop_if_cancelled()
            same_site()
            os.rename(work / folder, out / folder)  # refused if out has one: never over another index
            if keep_state is not None:
                keep_state()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return summary


INDEXING = ".dangjian-indexing-"  # `finish_search`'s work folder in the output (removed before it returns)


def _own_index_beside_gate(
    gate: Gate,
    staging: Path,
    site: _Site,
    out: Path,
    previous: Path | None,
    changed: frozenset[str] | None,
) -> tuple[list[Leak], int, str, Callable[[], None]]:
    """The own index made (`ownsearch.begin`, `complete`) in a work folder beside the staging folder while a forked
    process runs the gate over the site (the two took a city rebuild's 1.0 and 1.1 s one after the other); then the
    gate over the index's files, one memo kept of both scans as of one scan of the site (`Gate.remember`), and the
    index moved into the site. The leaks, the files scanned, the summary and what keeps the index's state once the
    site is published. `previous` and `changed`: the build's search scope (`_search_scope`)."""
    folder = cache_dir()
    work = staging.parent / (staging.name + output.INDEXING)  # removed with the staging folder if killed
    work.mkdir(mode=0o700)
    try:
        kept = gate.recall(folder)
        known = site.known() if folder is not None else None
        pages_gate = _Apart(lambda: gate.scan_part(staging, kept, known), "隐私检查没有完成，网站没有发布")
        try:
            pending = ownsearch.begin(staging, previous, changed, keep=out, given=site.copies, pages=site.page_urls())
            summary, keep_index = ownsearch.complete(pending, staging, previous, work / ownsearch.FOLDER)
        except BaseException:
            pages_gate.stop()
            raise
        pages = pages_gate.result()
        index = gate.scan_part(work, kept, None)  # the index's paths are the site's: djsearch/…
        if folder is not None:
            gate.remember(folder, kept, [pages, index])
        os.rename(work / ownsearch.FOLDER, staging / ownsearch.FOLDER)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    leaks = sorted(pages.leaks + index.leaks, key=lambda leak: leak.file)
    return leaks, pages.files + index.files, summary, keep_index


def _anything(rel: str) -> bool:
    return True


def _in_own_index(rel: str) -> bool:
    """Whether a path of the site is the own index's (what the gate's memo keeps of a site published without it)."""
    return rel.startswith(ownsearch.FOLDER + "/")


def _scan_apart(gate: Gate, folder: Path, cancelled: Callable[[], bool] | None, memo: bool = False) -> list[Leak]:
    """`gate.scan_tree(folder)`, in a process of its own that is killed (with its workers) as soon as `cancelled()`
    says so (search.Cancelled): the gate reads every file of the index (seconds at county), and a newer save must
    not wait for it. In this process where processes cannot be forked, or nothing can cancel it. With `memo`, the
    gate's memo skips the files it knows and learns the others, keeping what it knows of the rest of the site."""

    def scan() -> list[Leak]:
        return gate.scan_tree(folder, cache_dir(), keep=_anything) if memo else gate.scan_tree(folder)

    if cancelled is None:
        return scan()
    if cancelled():
        raise search.Cancelled("搜索索引已被新的修改取代")
    leaks: list[Leak] = _Apart(scan, "隐私检查没有完成，搜索索引没有发布").result(cancelled)
    return leaks


class _Apart:
    """`work()` in a forked process of its own (its own process group, killed whole when stopped), started at once,
    its value sent back pickled and read by `result`; in this process, then, where processes cannot be forked."""

    def __init__(self, work: Callable[[], Any], failed: str) -> None:
        self._work: Callable[[], Any] | None = None
        self._child, self._failed = 0, failed  # `failed`: the BuildError's message when the child fails
        if not hasattr(os, "fork"):
            self._work = work
            return
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # the child: the value back pickled, then gone
            status = 1
            try:
                os.close(reader)
                os.setsid()
                with os.fdopen(writer, "wb") as answer:
                    pickle.dump(work(), answer)
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        self._child, self._reader = child, reader

    def result(self, cancelled: Callable[[], bool] | None = None) -> Any:
        """The value, once the child is done (search.Cancelled, the child killed, as soon as `cancelled()` says so;
        BuildError when it failed: `failed`)."""
        if self._work is not None:
            return self._work()
        data = bytearray()
        try:
            while True:
                ready, _, _ = select.select([self._reader], [], [], 0.05)
                if ready:
                    chunk = os.read(self._reader, 1 << 16)
                    if not chunk:
                        break
                    data += chunk
                elif cancelled is not None and cancelled():
                    self._kill()
                    raise search.Cancelled("搜索索引已被新的修改取代")
        finally:
            status = self._reap()
        if status != 0 or not data:
            raise BuildError(self._failed)
        return pickle.loads(bytes(data))  # noqa: S301 - our own child's answer, through our own pipe

    def stop(self) -> None:
        """The child killed and reaped (the caller gave up on its value)."""
        if self._work is None and self._child:
            self._kill()
            self._reap()

    def _kill(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self._child, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(self._child, signal.SIGKILL)  # before its setsid

    def _reap(self) -> int:
        os.close(self._reader)
        _, status = os.waitpid(self._child, 0)
        self._child = 0
        return status


def _search_scope(site: _Site) -> tuple[Path | None, frozenset[str] | None]:
    """The previous site search may reuse, and the pages to read for a copy (None: every page)."""
    if site.previous is None:
        # Every page rendered (a new dangjian, a template changed…): search still reuses each bundle whose pages'
        # copies are the same as in the previous site's (it reads every page and compares digests)
        return site.searched, None
    return site.previous, frozenset(site.rendered) | site.removed


def _withheld_rankings(data: SiteData) -> list[str]:
    """A warning for each ranking row whose average score and total the site withholds (editors may wonder)."""
    return [
        f"排位 {scheme} {period}：{data.reg.orgs[org].get('name', org)} 的党员积分和总分不公开"
        f"（平均分背后的党员少于{THRESHOLD}人，或能由其他公开数字推算出来），只显示名次"
        for org, scheme, period in sorted(data.unsafe_rankings)
    ]


@contextmanager
def machine_errors() -> Iterator[None]:
    """An error of the machine the user can fix (disk full, no write permission) as a BuildError that names
    it; any other error goes on as it is (a defect of dangjian, reported as one)."""
    try:
        yield
    except OSError as err:
        said = describe(err, writing=True)
        if said is None:
            raise
        raise BuildError(f"网站没有生成，原来的网站保持不变：{said}") from err


def _public_revisions(revisions: list[Revision], gate: Gate) -> list[Revision]:
    """Revisions with their commit subjects cleared of private names and personal numbers, in Chinese."""
    return [Revision(r.sha, r.date, public_subject(gate.redact(r.subject), r.files), r.files) for r in revisions]


class _PageRevisions:
    """A page's revisions as it shows them (`_history.html`: each one's date and cleared subject), each commit's
    made once a build and shared by its pages. The commit's files are left out: a page never shows them, and the
    first commit of a city touches 30,000 files, which every page's key digested (130 s of a city rebuild)."""

    def __init__(self, history: History, gate: Gate) -> None:
        self.history, self.gate = history, gate
        self.shown: dict[str, Revision] = {}

    def __call__(self, sources: tuple[str, ...]) -> list[Revision]:
        found = []
        for revision in self.history.for_files(sources):
            if revision.sha not in self.shown:
                (public,) = _public_revisions([revision], self.gate)
                self.shown[revision.sha] = replace(public, files=())
            found.append(self.shown[revision.sha])
        return found


@dataclass
class _Site:
    """What `_render_site` wrote: its pages, those carried over from the previous site, and the manifest to keep."""

    pages: int
    key: str | None  # the global key (None: nothing is kept for the next build)
    entries: dict[str, incremental.Entry]  # page address → what the next build checks
    carried: set[str]  # addresses of pages carried over
    rendered: list[str]  # addresses of pages rendered
    removed: frozenset[str]  # addresses the previous site had and this one has not
    previous: Path | None  # the previous site, when pages were carried over from it
    searched: Path | None  # the previous site whose search bundles may be reused (not after --cold)
    canon: incremental.Canon  # the pages' keys' (its records' digests are kept for the next build)
    groups: dict[str, Any] = field(default_factory=dict)  # the kinds' page lists for the next build (`keptpages`)
    files: dict[str, tuple[incremental.Identity, str]] = field(default_factory=dict)  # other files `put` wrote
    # the other files the last build wrote (`Manifest.files`), and those of them found in place in the staging folder
    before: dict[str, tuple[incremental.Identity, str]] = field(default_factory=dict)
    in_place: dict[str, incremental.Identity] = field(default_factory=dict)
    copies: dict[str, str] = field(default_factory=dict)  # the search copies of the pages rendered, kept apart
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the tabled globals, for the next build

    def page_urls(self) -> set[str]:
        """The address of every page of the site (carried over or rendered)."""
        return self.carried | set(self.rendered)

    def put(self, staging: Path, rel: str, content: bytes | str) -> None:
        """Write a file other than a page, and keep its identity and the digest of its bytes for the gate (`known`)
        and the next build. A file with the bytes the last build wrote is that build's file: left in place when the
        staging folder has it (`in_place`), else linked from the previous output (an org's 5,000 calendars were
        written again at every city build); any other is written anew (`_write`: never into a linked file)."""
        data = content.encode() if isinstance(content, str) else content
        path = staging / rel
        rel = path.relative_to(staging).as_posix()
        digest = incremental.bytes_digest(data)
        found, last = self.in_place.pop(rel, None), self.before.get(rel)
        if last is not None and last[1] == digest:
            if found == last[0]:
                self.files[rel] = last
                return
            if found is None and self.previous is not None:
                linked = incremental.link_file(self.previous, staging, rel, last[0], digest)
                if linked is not None:
                    self.files[rel] = (linked, digest)
                    return
        _write(path, data)
        self.files[rel] = (incremental.identity_of(path), digest)

    def drop_unwritten(self, staging: Path) -> None:
        """Remove the files left in place that this build did not write (an org gone, and its calendar), and the
        folders that leaves empty."""
        for rel in self.in_place:
            path = staging / rel
            path.unlink(missing_ok=True)
            for folder in path.parents:
                if folder == staging:
                    break
                try:
                    folder.rmdir()  # only if empty
                except OSError:
                    break
        self.in_place = {}

    def published(self, staging: Path, *, reread: bool) -> None:
        """Record each rendered page's file as it is now: its identity, and the digest of its bytes when `reread`
        (search took its copy out after rendering; else the bytes are the ones digested when written)."""
        for url in self.rendered:
            entry = self.entries.get(url)
            if entry is not None:
                page = staging / incremental.page_file(url)
                entry.out, entry.stat = _published(page, None if reread else entry.out)

    def known(self) -> dict[str, tuple[incremental.Identity, str]]:
        """Each page's path in the new site → its file's identity and the digest of its bytes (for the gate)."""
        pages = {
            incremental.page_file(url): (entry.stat, entry.out)
            for url, entry in self.entries.items()
            if entry.stat is not None
        }
        return self.files | pages


def _published(path: Path, digest: str | None) -> tuple[str, incremental.Identity]:
    """The digest (`digest` when known, else read) and identity of a page the build wrote, never through a link."""
    if digest is not None:
        return digest, incremental.identity_of(path)
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        return incremental.bytes_digest(file.read()), incremental.identity(info)


def _search_index(staging: Path, site: _Site, out: Path) -> str:
    """Index the new site: when pages were carried over, search reads only the pages rendered or removed (the
    carried ones hold no search copy any more: search takes theirs from the copies it kept in the cache for `out`,
    or makes them again from the published pages)."""
    previous, changed = _search_scope(site)
    return search.index(staging, previous=previous, changed=changed, keep=out)


def _render_site(
    root: Path,
    data: SiteData,
    staging: Path,
    progress: Callable[[str, int, int], None] | None,
    history: History,
    gate: Gate,
    with_search: bool,
    previous: Path | None,
    engine: str | None = None,
    kept: incremental.KeptDigests | None = None,
    listing: incremental.KeptListing | None = None,
    prekept: list[output.Prekept] | None = None,
) -> _Site:
    site = data.settings
    nav = [NavEntry(title, url) for title, url in nav_entries(data)]
    theme = MaterialTheme(
        root / "mkdocs.yml",
        site_name=site.get("title", "基层党建"),
        description=site.get("description", ""),
        site_url=site.get("base_url"),
        nav=nav,
    )
    canon = incremental.Canon(kept)
    env = content_environment(data, canon)
    key = ownsearch.keyed(
        incremental.global_key(
            config_file=root / "mkdocs.yml",
            theme=theme,
            with_search=with_search,
            env_pure=incremental.environment_is_pure(env),
        ),
        engine,
    )
    before = incremental.load_manifest(previous, key) if previous is not None else incremental.Manifest()
    made = keptpages.Pages(data, before.groups, _PageRevisions(history, gate), canon)  # a kept kind's: the last build's
    pages = made.all()
    pages.append(changes_page(pages, _public_revisions(history.revisions[:50], gate)))
    jobs = [(page, made.revisions.get(page.url)) for page in pages]
    if prekept is not None and (folder := output.prekeep(staging, [page.url for page in pages if page.url])):
        prekept.append(folder)  # a build into no site: its pages' folders made beside it for the next build
    tables = tabled_globals(data)
    written = _carry_and_render(
        _Renderer(theme, env, staging, with_search, copy_apart=engine == "own"),
        jobs,
        canon,
        recorded_globals(data),
        incremental.changed_keys(before.tables, tables),
        previous,
        before,
        made,
        key,
        progress,
        listing,
    )
    written.tables = tables  # copied into the manifest once the site is in place
    put = written.put
    # The theme's static files and the registry's assets (checked again, cleaned of metadata, never read through a
    # link; one of the same path in place of the theme's) go through `put` as every other file: one with the last
    # build's bytes is that build's file, which the gate knows clean unread (it read every one at every rebuild).
    try:
        static = theme.asset_files() | {f"assets/{rel}": data for rel, data in published_assets(root).items()}
        for path, content in static.items():
            put(staging, path, content)
        images.publish(data, lambda address, content: put(staging, address, content))  # pixels only
    except AssetError as err:
        raise BuildError(str(err)) from err
    put(staging, "404.html", theme.render_404())
    for path, content in export_files(data).items():
        put(staging, path, content)
    base_url = site.get("base_url")
    lastmod = {page.url: revisions[0].date for page, revisions in jobs if revisions}  # each page's last commit
    for name, content in feeds.sitemaps([p.url for p in pages], base_url, lastmod).items():
        put(staging, name, content)
    with incremental.sharing(canon):  # the org calendars' keys: the records' digests are the pages' keys'
        for kind in kinds.KINDS:  # the stories' feed
            for path, content in kind.files(data, lastmod).items():
                put(staging, path, content)
    put(staging, "robots.txt", feeds.robots(base_url))
    written.drop_unwritten(staging)
    return written


def _carry_and_render(
    renderer: _Renderer,
    jobs: list[tuple[SitePage, list[Revision] | None]],
    canon: incremental.Canon,
    lookups: dict[str, Any],
    changed: dict[str, incremental.Changes],
    previous: Path | None,
    before: incremental.Manifest,
    made: keptpages.Pages,
    key: str | None,
    progress: Callable[[str, int, int], None] | None,
    listing: incremental.KeptListing | None = None,
) -> _Site:
    """Carry over from `previous` (the site `before` describes) every page whose key, lookups and published bytes
    are as the last build left them; render the others (a kept kind's made again first)."""
    keys: dict[str, str | None] = {}
    if key:  # a kept page's key is the last build's (`keptpages`)
        keys = {page.url: made.keys.get(page.url) or canon.page_key(page, revisions) for page, revisions in jobs}
    entries: dict[str, incremental.Entry] = {}
    candidates = [
        (page.url, entry)
        for page, _ in jobs
        if (entry := before.pages.get(page.url)) is not None
        and entry.key == keys.get(page.url)
        and incremental.reads_hold(entry.reads, lookups, canon, changed)
        and incremental.holds_made(entry.reads, page.made_reads)
    ]
    in_place: dict[str, incremental.Identity] = {}
    if previous is not None and candidates:
        found = dict(candidates)
        carrier = incremental.Carrier(previous, renderer.staging, listing)
        for url, identity in carrier.carry_all(candidates, before.files).items():
            entries[url] = replace(found[url], stat=identity)
        in_place = carrier.in_place
    carried = set(entries)
    todo = [job for job in jobs if job[0].url not in carried]
    pending: dict[str, set[str]] = defaultdict(set)
    for page, _ in todo:
        if isinstance(page.context, keptpages.Pending):
            pending[page.context.kind].add(page.url)
    if pending:  # a kept kind's page to render after all: made alone, or its kind's pages made again, with keys
        again = made.resolve(pending)
        todo = [(again.get(page.url, page), revisions) for page, revisions in todo]
        if key:
            keys.update((page.url, canon.page_key(page, revisions)) for page, revisions in todo if page.url in again)
    copies: dict[str, str] = {}
    for url, digest, reads, copy in _render_pages(renderer, todo, progress):
        page_key = keys.get(url)
        if page_key is not None and reads is not None:
            entries[url] = incremental.Entry(page_key, digest, reads)
        if copy is not None:
            copies[url] = copy
    return _Site(
        pages=len(jobs),
        key=key,
        entries=entries,
        carried=carried,
        rendered=[page.url for page, _ in todo],
        removed=frozenset(set(before.pages) - set(keys)),
        previous=previous if carried else None,
        searched=previous,
        canon=canon,
        groups=made.groups(keys),
        before=before.files if previous is not None else {},
        in_place=in_place,
        copies=copies,
    )


# A page rendered: its address, the digest of its bytes, its lookups, its search copy when kept apart (`_Renderer`)
Written = tuple[str, str, list | None, str | None]


@dataclass
class _Renderer:
    """Renders pages into a staging folder."""

    theme: MaterialTheme
    env: Environment
    staging: Path
    search_copy: bool  # only a build with search needs each page's hidden copy (about a third of a page)
    # The copy returned, never written into the page (the own index takes it from here): else it is written into the
    # page, where Pagefind's indexing takes it out (`search.take_copies`).
    copy_apart: bool = False

    def write(self, page: SitePage, revisions: list[Revision] | None) -> Written:
        """Render and write one page; its address, the digest of its bytes, its lookups (None: not recorded) and its
        search copy when kept apart."""
        with incremental.recording() as reads:
            body, apart = render_body(
                self.env, page, revisions, search_copy=self.search_copy, copy_apart=self.copy_apart
            )
        html = self.theme.render(PageSpec(page.url, page.title, body, page.description)).encode()
        _write(self.staging / page.url / "index.html", html)
        incremental.with_made(reads, page.made_reads)  # its title read a name, say: kept as if rendering read it
        return page.url, incremental.bytes_digest(html), None if reads.volatile else reads.as_list(), apart


_PARALLEL_FROM = 400  # pages; below this a pool costs more than it saves
_CHUNK = 50  # pages a worker renders between two progress reports


def _render_pages(
    renderer: _Renderer, jobs: list, progress: Callable[[str, int, int], None] | None
) -> Iterator[Written]:
    """Render and write every page: on every core when there are many (each worker writes
    its own pages; the pages and the data they show are inherited by forking)."""
    workers = fork_workers(len(jobs), _PARALLEL_FROM)
    if workers < 2:
        for number, (page, revisions) in enumerate(jobs, 1):
            yield renderer.write(page, revisions)
            if progress:
                progress("页面", number, len(jobs))
        return
    # rendering makes cycles: collected in workers; a worker renewed every few thousand pages (what it copied goes)
    with fork_pool(workers, (renderer, jobs), collect=True, renew=renew_after(_CHUNK)) as pool:
        done = 0
        spans = [(start, min(start + _CHUNK, len(jobs))) for start in range(0, len(jobs), _CHUNK)]
        for written, rendered in pool.imap_unordered(_render_span, spans):
            done += len(written)
            adopt_rendered(rendered)  # the texts it rendered, kept for the next build as this process's
            yield from written
            if progress:
                progress("页面", done, len(jobs))


def _render_span(span: tuple[int, int]) -> tuple[list[Written], dict[str, str]]:
    renderer, jobs = shared()
    written = [renderer.write(page, revisions) for page, revisions in jobs[span[0] : span[1]]]
    return written, rendered_since()
