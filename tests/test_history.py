"""Page history from git: last-updated dates, revision lists, builds at older revisions, no git at all."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from git_helpers import RegistryRepo
from site_helpers import article, build_site
from dangjian.history import History, HistoryError, checkout

WEST = "registry/orgs/west.yaml"


@pytest.fixture
def repo(tmp_path) -> RegistryRepo:
    repo = RegistryRepo(tmp_path / "repo")
    text = (repo.root / WEST).read_text(encoding="utf-8")
    repo.commit("西村党支部改名", {WEST: text.replace("西村党支部", "西村联合党支部")})
    repo.commit(
        "补充东村简介",
        {
            "registry/orgs/east.yaml": (repo.root / "registry/orgs/east.yaml").read_text(encoding="utf-8")
            + "summary: 东村简介。\n"
        },
    )
    return repo


def test_history_lists_commits_per_file_newest_first(repo):
    history = History.of(repo.root)
    assert [r.subject for r in history.for_files([WEST])] == ["西村党支部改名", "初始登记簿"]
    assert history.for_files([WEST])[0].date == datetime.date(2026, 1, 2)
    assert [r.subject for r in history.revisions][:1] == ["补充东村简介"]


def test_pages_show_last_updated_and_revisions(repo, tmp_path):
    site = build_site(repo.root, tmp_path / "site")
    west = article(site, "orgs/west/").find_parent().select_one(".dj-history")
    assert "最近更新：2026年1月2日" in west.get_text()
    assert [li.get_text(" ", strip=True) for li in west.select("li")] == [
        "2026年1月2日 西村党支部改名",
        "2026年1月1日 初始登记簿",
    ]
    changes = article(site, "changes/")
    assert [li.get_text(" ", strip=True).split(" ")[1] for li in changes.select("li")][:3] == [
        "补充东村简介",
        "西村党支部改名",
        "初始登记簿",
    ]


def test_file_dates_come_from_git_not_the_file_system(repo, tmp_path):
    import os

    os.utime(repo.root / WEST, (0, 0))
    assert History.of(repo.root).for_files([WEST])[0].date == datetime.date(2026, 1, 2)


def test_commit_subjects_never_show_private_names(repo, tmp_path):
    repo.commit(
        "添加党员李小花 电话13812345678", {WEST: (repo.root / WEST).read_text(encoding="utf-8") + "labels: [先进]\n"}
    )
    site = build_site(repo.root, tmp_path / "site")
    text = (site / "orgs/west/index.html").read_text(encoding="utf-8")
    assert "添加党员*** 电话" in text and "李小花" not in text and "13812345678" not in text


def test_a_subject_not_written_in_chinese_is_shown_as_a_chinese_summary(repo, tmp_path):
    """A Chinese site shows Chinese history: a developer's English subject, a forge's "Merge pull
    request …", are replaced by what the commit changed, said in Chinese (issue 17, item 11)."""
    text = (repo.root / WEST).read_text(encoding="utf-8")
    repo.commit("Fix typo in west labels", {WEST: text + "labels: [示范]\n"})
    repo.commit("Merge pull request #12 from fork/branch", {WEST: text + "labels: [先进]\n"})
    site = build_site(repo.root, tmp_path / "site")
    changes = [li.get_text(" ", strip=True) for li in article(site, "changes/").select("li")]
    assert "Fix typo" not in " ".join(changes) and "Merge pull request" not in " ".join(changes)
    assert changes[0].startswith("2026年1月") and "修改了 1 个文件" in changes[0] and "西村联合党支部" in changes[0]
    assert "补充东村简介" in changes[2]  # a Chinese subject is shown as written
    west = [
        li.get_text(" ", strip=True)
        for li in article(site, "orgs/west/").find_parent().select_one(".dj-history").select("li")
    ]
    assert (
        west[0].endswith("修改了 1 个文件")
        and west[1].endswith("修改了 1 个文件")
        and west[2].endswith("西村党支部改名")
    )


def test_build_at_an_older_revision(repo, tmp_path):
    old = repo.git("rev-parse", "HEAD~2")
    dangjian = Path(sys.executable).parent / "dangjian"
    done = subprocess.run(
        [str(dangjian), "build", "--root", str(repo.root), "--at", old, "--out", str(tmp_path / "old"), "--no-search"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "西村党支部" in article(tmp_path / "old", "orgs/west/").select_one("h1").get_text()
    assert "东村简介" not in (tmp_path / "old/orgs/east/index.html").read_text(encoding="utf-8")
    now = build_site(repo.root, tmp_path / "now")
    assert "西村联合党支部" in article(now, "orgs/west/").select_one("h1").get_text()


def test_unknown_revision_is_a_usage_error(repo, tmp_path):
    dangjian = Path(sys.executable).parent / "dangjian"
    done = subprocess.run(
        [str(dangjian), "build", "--root", str(repo.root), "--at", "no-such-rev", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "找不到版本" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(HistoryError):
        checkout(repo.root, "no-such-rev", tmp_path / "y")


def test_a_registry_outside_git_builds_without_history(registry, tmp_path):
    root = registry()
    assert History.of(root).revisions == []
    site = build_site(root, tmp_path / "site")
    assert (site / "orgs/west/index.html").is_file()
    assert "dj-history" not in (site / "orgs/west/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("rev", ["--output={out}", "--git-dir={out}", "-h"])
def test_a_revision_is_never_an_option(repo, tmp_path, rev):
    """`dangjian diff --base`/`build --at` pass a name from the command line (or a workflow's input) to git:
    one that looks like an option must name nothing, never make git write a file or read another repository."""
    from dangjian.history import History, HistoryError, checkout

    out = tmp_path / "written-by-git"
    name = rev.format(out=out)
    assert History.of(repo.root, name).revisions == []
    with pytest.raises(HistoryError):
        checkout(repo.root, name, tmp_path / "tree")
    assert not out.exists() and not (tmp_path / "tree").exists()


def test_a_commit_is_cleared_once_a_build_and_pages_are_handed_no_file_lists(repo, tmp_path, monkeypatch):
    """What a page shows of a commit is its date and cleared subject. The subject is cleared once a build, not once
    a page, and what a page is handed (and its key digests) holds none of the commit's files: the first commit of
    a city touches 30,000 files, and digesting them for each of its 37,300 pages took 130 s of a rebuild."""
    from dangjian.site import incremental, privacy

    cleared: list[str] = []
    redact = privacy.Gate.redact
    monkeypatch.setattr(privacy.Gate, "redact", lambda gate, text: cleared.append(text) or redact(gate, text))
    handed: list[list] = []
    page_key = incremental.Canon.page_key
    monkeypatch.setattr(
        incremental.Canon,
        "page_key",
        lambda canon, page, revisions: handed.append(revisions) or page_key(canon, page, revisions),
    )
    site = build_site(repo.root, tmp_path / "site")
    commits = History.of(repo.root).revisions
    assert len(cleared) <= 2 * len(commits)  # the changes page's list, and each commit once for the pages
    shown = [revision for revisions in handed if revisions for revision in revisions]
    assert len(shown) > len(commits) and all(revision.files == () for revision in shown)
    west = article(site, "orgs/west/").find_parent().select_one(".dj-history")
    assert [li.get_text(" ", strip=True) for li in west.select("li")] == [
        "2026年1月2日 西村党支部改名",
        "2026年1月1日 初始登记簿",
    ]
