"""The province CI examples (docs/examples/): each city job builds incrementally from its cached state, the
merge takes every city; nothing in them is an active workflow of this repository."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO

EXAMPLES = REPO / "docs" / "examples"
GITHUB = EXAMPLES / "publish-province.yml"
GITLAB = EXAMPLES / "province.gitlab-ci.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def test_the_github_example_is_not_a_workflow_of_this_repository():
    active = {p.name for p in (REPO / ".github" / "workflows").glob("*.yml")}
    assert GITHUB.name not in active
    assert "EXAMPLE" in GITHUB.read_text(encoding="utf-8").splitlines()[1]


def test_each_city_job_restores_builds_and_saves_its_state():
    workflow = _load(GITHUB)
    job = workflow["jobs"]["city"]
    assert len(job["strategy"]["matrix"]["city"]) == 13
    steps = _steps(workflow, "city")
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    paths = restore["with"]["path"].splitlines()
    assert paths == ["${{ env.DANGJIAN_CACHE }}", "shard/${{ matrix.city }}"] == save["with"]["path"].splitlines()
    assert restore["with"]["key"] == save["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])  # any earlier state of this city
    build = next(s for s in steps if "dangjian build" in s.get("run", ""))
    assert 'dangjian build --root "cities/$CITY" --out "shard/$CITY" "${cold[@]}"' in build["run"]
    assert "cache-hit != 'true'" in build["if"]  # an exact hit: the restored output is current
    order = [steps.index(s) for s in (restore, build, save)]
    assert order == sorted(order)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "if" not in upload  # every city's shard reaches the merge, built or restored
    # the cache folder lies outside the checkout, whose registries a pull request can change
    assert job["env"]["DANGJIAN_CACHE"].startswith("${{ github.workspace }}/../")


def test_the_merge_takes_every_city():
    workflow = _load(GITHUB)
    assert workflow["jobs"]["merge"]["needs"] == "city"
    merge = next(s for s in _steps(workflow, "merge") if "dangjian merge" in s.get("run", ""))
    assert 'args+=("${name%/}=$dir")' in merge["run"]


@pytest.mark.parametrize("path", [GITHUB], ids=["github"])
def test_actions_are_pinned_and_no_expression_reaches_a_shell(path):
    workflow = _load(path)
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED.match(step["uses"]), (name, step["uses"])
            assert "${{" not in step.get("run", ""), (name, step.get("name"))  # script injection


def test_the_gitlab_example_caches_the_same_two_folders():
    pipeline = _load(GITLAB)
    city = pipeline["city"]
    assert len(city["parallel"]["matrix"][0]["CITY"]) == 13
    assert city["cache"]["key"] == "city-$CITY"
    assert city["cache"]["paths"] == [".dangjian-cache/", "shard/$CITY/"]
    assert pipeline["variables"]["DANGJIAN_CACHE"] == "$CI_PROJECT_DIR/.dangjian-cache"
    assert any('dangjian build --root "cities/$CITY" --out "shard/$CITY"' in line for line in city["script"])
    assert city["artifacts"]["paths"] == ["shard/$CITY/"]
    assert pipeline["merge"]["needs"] == ["city"]
    assert any("dangjian merge --out public" in line for line in pipeline["merge"]["script"])


def test_province_doc_points_at_both_examples():
    text = (REPO / "docs" / "province.md").read_text(encoding="utf-8")
    assert "examples/publish-province.yml" in text and "examples/province.gitlab-ci.yml" in text
