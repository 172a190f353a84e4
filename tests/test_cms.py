"""The admin page's config (`dangjian cms`): every declared field reaches a form, the config is valid
for Sveltia CMS's own schema, and nothing from the registry or site.yaml runs or escapes there."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import MINIMAL, copy_minimal
from site_helpers import launch_chromium
from dangjian import cms
from dangjian.recordtypes import RECORD_TYPES
from dangjian.schema import Any_, Asset, Bool, Date, Enum, Id, List, Mapping, Number, Object, Ref, Text

DANGJIAN = Path(sys.executable).parent / "dangjian"
SCHEMA = Path(__file__).parent / "data" / "sveltia-cms-0.221.1.schema.json"
DEMO = Path(__file__).parent.parent
HAN = re.compile(r"[\u4e00-\u9fff]")
SETTINGS = {
    "github": cms.CmsSettings("github", "xianwei/dangjian", auth_url="https://auth.example.gov.cn/"),
    "gitlab": cms.CmsSettings(
        "gitlab", "xianwei/zuzhibu/dangjian", forge_url="https://gitlab.example.gov.cn/", app_id="a1b2"
    ),
    "gitea": cms.CmsSettings(
        "gitea", "xianwei/dangjian", branch="bianji", forge_url="https://git.example.gov.cn/", app_id="c3d4"
    ),
}


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DANGJIAN), *map(str, args)], capture_output=True, text=True, encoding="utf-8", timeout=120
    )


def generated(backend: str = "gitea") -> dict:
    return yaml.safe_load(cms.render_config(SETTINGS[backend]))


def form_of(config: dict, kind: str) -> list[dict]:
    """The form fields editing one record of `kind` (inside the root list for list files)."""
    for collection in config["collections"]:
        for file in collection.get("files", []):
            if file["name"] == kind:
                return file["fields"]
        if collection["name"] == kind:
            fields = collection["fields"]
            if RECORD_TYPES[kind].layout == "list":
                (root,) = fields
                assert root["widget"] == "list" and root["root"] is True
                return root["fields"]
            return fields
    raise AssertionError(f"no collection for {kind}")


def declared(schema: Object, prefix: str = ""):
    """Every declared field, nested ones included, as (dotted path, Field)."""
    for spec in schema.fields:
        yield prefix + spec.name, spec
        inner = spec.type.item if isinstance(spec.type, List) else spec.type
        if isinstance(inner, Object):
            yield from declared(inner, f"{prefix}{spec.name}.")


def find(form: list[dict], path: str) -> dict:
    head, _, rest = path.partition(".")
    (found,) = [f for f in form if f["name"] == head]
    return find(found["fields"], rest) if rest else found


# --- every field reaches the forms ---------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_every_declared_field_has_a_form_field(kind):
    form = form_of(generated(), kind)
    for path, spec in declared(RECORD_TYPES[kind].schema):
        found = find(form, path)
        assert found["label"] and HAN.search(found["label"]), (kind, path, found["label"])
        if found["widget"] != "hidden":
            assert found["required"] is spec.required, (kind, path)
            assert found["hint"] == spec.doc


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_no_form_field_that_the_format_does_not_declare(kind):
    """A form field the format does not know would write a key validation refuses."""
    names = {spec.name for spec in RECORD_TYPES[kind].schema.fields}
    extra = {"body"} if RECORD_TYPES[kind].layout == "markdown" else set()
    assert {f["name"] for f in form_of(generated(), kind)} == names | extra


def test_a_new_field_reaches_the_form(monkeypatch):
    """The config is computed from recordtypes.py: a field added there is in the next config."""
    from dangjian.schema import Field

    org = RECORD_TYPES["org"]
    grown = Object(*org.schema.fields, Field("motto", Text(), "组织的口号"))
    monkeypatch.setitem(
        RECORD_TYPES, "org", type(org)(org.kind, org.title, org.location, grown, org.layout, org.file_is_id)
    )
    assert find(form_of(generated(), "org"), "motto")["label"] == "组织的口号"


# --- widgets --------------------------------------------------------------------------------------


def test_widgets_follow_field_types():
    config = generated()
    for kind, record_type in RECORD_TYPES.items():
        form = form_of(config, kind)
        for path, spec in declared(record_type.schema):
            found, kind_ = find(form, path), spec.type
            where = (kind, path)
            if isinstance(kind_, Ref):
                assert found["widget"] == "relation", where
                target = "rulebook" if found["collection"] == "settings" else found["collection"]
                shown = found["display_fields"][0].rsplit(".", 1)[-1]
                assert shown in ("name", "title") and target in RECORD_TYPES, where
            elif isinstance(kind_, Enum):
                assert found["widget"] == "select", where
                values = [o["value"] if isinstance(o, dict) else o for o in found["options"]]
                assert values == list(kind_.values), where
            elif isinstance(kind_, Date):
                assert (found["widget"], found["type"], found["format"]) == ("datetime", "date", "YYYY-MM-DD"), where
            elif isinstance(kind_, Number):
                assert found["widget"] == "number", where
                assert found.get("min") == kind_.minimum and found.get("max") == kind_.maximum, where
                assert found["value_type"] == ("int" if kind_.integer else "float"), where
            elif isinstance(kind_, Asset):
                assert found["widget"] == "image" and found["media_folder"] == "/content/assets", where
            elif isinstance(kind_, Bool):
                assert found["widget"] == "select" and [o["value"] for o in found["options"]] == [True, False], where
            elif isinstance(kind_, Id) or (isinstance(kind_, Text) and kind_.pattern):
                assert re.compile(found["pattern"][0]).pattern == kind_.pattern.pattern, where
                assert HAN.search(found["pattern"][1]), where
            elif isinstance(kind_, Text) and kind_.markdown:
                assert found["widget"] == "markdown", where
            elif isinstance(kind_, List):
                assert found["widget"] in ("list", "relation", "select"), where
                if found["widget"] != "list":
                    assert found["multiple"] is True, where
            elif isinstance(kind_, (Mapping, Any_)):
                assert found["widget"] in ("keyvalue", "hidden"), where


def test_enums_offer_the_chinese_values():
    form = form_of(generated(), "member")
    assert find(form, "status")["options"] == ["入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"]
    assert find(form, "posts")["multiple"] is True


def test_references_are_searched_by_chinese_name_and_store_the_id():
    config = generated()
    parent = find(form_of(config, "org"), "parent")
    assert (parent["collection"], parent["value_field"], parent["display_fields"]) == ("org", "id", ["name"])
    assert "name" in parent["search_fields"]
    team = find(form_of(config, "project"), "team")  # members live in list files: a path into the root list
    assert (team["collection"], team["value_field"], team["multiple"]) == ("member", "records.*.id", True)
    assert team["display_fields"] == ["records.*.name"]
    rule = find(form_of(config, "ledger"), "rule")
    assert (rule["collection"], rule["file"], rule["value_field"]) == ("settings", "rulebook", "rules.*.id")


def test_collections_sit_in_the_format_folders():
    by_name = {c["name"]: c for c in generated()["collections"]}
    assert by_name["org"]["folder"] == "registry/orgs" and by_name["org"]["nested"]["subfolders"] is False
    assert by_name["ledger"]["folder"] == "registry/points/ledger"
    assert by_name["scheme"]["folder"] == "registry/assessments/schemes" and "nested" not in by_name["scheme"]
    assert (by_name["story"]["folder"], by_name["story"]["extension"]) == ("content/stories", "md")
    assert by_name["story"]["fields"][-1]["name"] == "body"
    assert by_name["org"]["slug"] == {"template": "{{fields.id}}", "editable": False}
    files = {f["name"]: f["file"] for f in by_name["settings"]["files"]}
    assert files == {"site": "registry/site.yaml", "rulebook": "registry/points/rules.yaml"}
    for kind in ("member", "activity", "ledger"):
        assert by_name[kind]["fields"][0]["root"] is True


# --- valid for Sveltia CMS ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator():
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("backend", sorted(SETTINGS))
def test_config_is_valid_for_sveltias_schema(validator, backend):
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(generated(backend))]
    assert errors == []


def test_the_schema_check_can_fail(validator):
    """The schema is strict (unknown keys, wrong widgets): a misspelled option is caught."""
    config = generated()
    config["collections"][1]["fields"][0]["requried"] = True
    assert list(validator.iter_errors(config))
    config = generated()
    config["backend"]["name"] = "svn"
    assert list(validator.iter_errors(config))


def test_backends():
    github, gitlab, gitea = (generated(b)["backend"] for b in ("github", "gitlab", "gitea"))
    assert github == {
        "name": "github",
        "repo": "xianwei/dangjian",
        "branch": "main",
        "base_url": "https://auth.example.gov.cn",
    }
    assert gitlab["api_root"] == "https://gitlab.example.gov.cn/api/v4" and gitlab["auth_type"] == "pkce"
    assert (gitea["api_root"], gitea["branch"], gitea["app_id"]) == (
        "https://git.example.gov.cn/api/v1",
        "bianji",
        "c3d4",
    )
    assert generated("github")["publish_mode"] == "editorial_workflow"
    assert "publish_mode" not in generated("gitea")  # Sveltia's editorial workflow: GitHub and GitLab only


PYTHON_ONLY_REGEX = re.compile(r"\(\?[aiLmsux]+[-):]|\(\?P[<=>]|\\[AZz]")  # inline flags, (?P<…>), \A \Z \z


def form_patterns(node) -> list[str]:
    """Every regular expression a form checks (`pattern: [regex, message]`), anywhere in the config."""
    if isinstance(node, dict):
        own = [node["pattern"][0]] if isinstance(node.get("pattern"), list) else []
        return own + [p for value in node.values() for p in form_patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in form_patterns(value)]
    return []


def test_form_patterns_are_javascript_regular_expressions():
    """The browser compiles each form pattern with JavaScript's RegExp: Python-only syntax stops the CMS from
    starting at all (seen: `(?s)` in a photo pattern; every browser test timed out on the sign-in page)."""
    patterns = form_patterns(generated())
    assert len(patterns) > 10
    assert [p for p in patterns if PYTHON_ONLY_REGEX.search(p)] == []
    assert all(PYTHON_ONLY_REGEX.search(p) for p in (r"(?s)^.*$", r"(?i:a)", r"(?P<x>a)", r"^a\Z"))  # the check
    node = shutil.which("node")
    if node:  # and, where Node is at hand, JavaScript itself compiles them
        script = "for (const p of JSON.parse(require('fs').readFileSync(0, 'utf8'))) new RegExp(p);"
        done = subprocess.run([node, "-e", script], input=json.dumps(patterns), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_untouched_optional_fields_are_not_written():
    """Sveltia writes `grade: ''` and `flow: null` for empty optional fields unless told not to, and
    validation refuses empty values (measured: see test_a_roster_saved_by_the_cms_stays_a_valid_list)."""
    assert generated()["output"] == {"omit_empty_optional_fields": True}


# --- hostile settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cms_value",
    [
        {"backend": "svn", "repo": "a/b"},
        {"backend": "github", "repo": "../../etc"},
        {"backend": "github", "repo": "a/b\nmedia_folder: /"},
        {"backend": "github", "repo": "a/b", "branch": "main..evil"},
        {"backend": "gitea", "repo": "a/b", "forge_url": "javascript:alert(1)//"},
        {"backend": "gitea", "repo": "a/b", "app_id": 'x"><script>'},
    ],
)
def test_bad_settings_never_reach_the_config(cms_value):
    with pytest.raises(cms.CmsError):
        cms.CmsSettings.from_site(cms_value)


@settings(max_examples=200, deadline=None)
@given(repo=st.text(max_size=40), branch=st.text(max_size=20))
def test_accepted_settings_are_written_as_data(repo, branch):
    """Whatever text is accepted comes back unchanged from the written YAML: no key is injected."""
    try:
        settings_ = cms.CmsSettings.from_site({"backend": "github", "repo": repo, "branch": branch})
    except cms.CmsError:
        return
    written = yaml.safe_load(cms.render_config(settings_))
    assert written["backend"] == {"name": "github", "repo": repo, "branch": branch}
    assert list(written) == ["backend", "publish_mode", "media_folder", "output", "app_title", "collections"]


def test_a_bad_cms_setting_is_a_chinese_problem_at_its_line(tmp_path):
    root = copy_minimal(tmp_path / "reg")
    site = root / "registry/site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "cms:\n  backend: github\n  repo: ../evil\n", encoding="utf-8")
    proc = run("cms", "--root", root, "--out", tmp_path / "admin")
    assert proc.returncode == 1
    assert re.search(r"registry/site\.yaml:8:\d+: `\.\./evil` 不符合格式", proc.stderr), proc.stderr
    assert not (tmp_path / "admin").exists()


def test_without_cms_settings_nothing_is_written(tmp_path):
    proc = run("cms", "--root", MINIMAL, "--out", tmp_path / "admin")
    assert proc.returncode == 1 and "没有 cms 设置" in proc.stderr
    assert not (tmp_path / "admin").exists()


# --- the admin page -------------------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False


def with_cms(tmp_path: Path, title: str = "测试镇党建", extra: str = "") -> Path:
    root = copy_minimal(tmp_path / "reg")
    site = root / "registry/site.yaml"
    text = re.sub(
        r"^title: .*$", f"title: {json.dumps(title, ensure_ascii=False)}", site.read_text(encoding="utf-8"), flags=re.M
    )
    site.write_text(text + "cms: {backend: github, repo: xianwei/dangjian}\n" + extra, encoding="utf-8")
    return root


def test_admin_page_is_chinese_and_loads_only_the_vendored_script(tmp_path):
    root = with_cms(tmp_path, title="</title><script>alert(1)</script>")
    proc = run("cms", "--root", root, "--out", tmp_path / "admin")
    assert proc.returncode == 0, proc.stderr
    page = Tags()
    page.feed((tmp_path / "admin/index.html").read_text(encoding="utf-8"))
    assert page.title == "编辑 · </title><script>alert(1)</script>"  # as text, not markup
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"src": "sveltia-cms.js"}]  # relative, no CDN, no inline code
    assert ("html", {"lang": "zh-CN"}) in page.tags
    assert ("link", {"href": "config.yml", "type": "application/yaml", "rel": "cms-config-url"}) in page.tags
    assert "没有 CMS 脚本" not in proc.stderr  # dangjian ships Sveltia (generator/dangjian/cms_vendor)
    assert (tmp_path / "admin/sveltia-cms.js").stat().st_size > 1_000_000


FONT_FAMILIES = ("source-sans-3", "noto-mono", "material-symbols-outlined")


def fake_package(where: Path, script: str | None = None) -> Path:
    """An unpacked @sveltia/cms of the shape the vendoring expects, with CDN addresses as 0.221.1 has them."""
    css = "".join(
        f"src:url(https://cdn.jsdelivr.net/fontsource/fonts/{f}@5.3.0/latin-400-normal.woff2) " for f in FONT_FAMILIES
    )
    files = {
        "dist/sveltia-cms.js": script
        if script is not None
        else f"var iP=`https://unpkg.com/@sveltia/cms`,USe=`${{iP}}@${{rP}}/locales`;var css=`{css}`;",
        "locales/zh-CN.json": '{"create": "新建"}',
        "LICENSE.txt": "MIT",
        **{f"npm/assets/{f}-latin-Ab12.woff2": f"font {f}" for f in FONT_FAMILIES},
        **{f"npm/assets/{f}.LICENSE.txt": "OFL" for f in FONT_FAMILIES},
    }
    for name, text in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text, encoding="utf-8")
    return where


def test_vendoring_serves_the_cdn_files_from_the_admin_folder(tmp_path):
    package = fake_package(tmp_path / "pkg")
    proc = run("cms", "--root", with_cms(tmp_path), "--out", tmp_path / "admin", "--package", package)
    assert proc.returncode == 0, proc.stderr
    script = (tmp_path / "admin/sveltia-cms.js").read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in script and "/locales`" not in script
    assert "USe=`locales`" in script  # fetched as admin/locales/zh-CN.json
    for family in FONT_FAMILIES:
        assert f"url(fonts/{family}-latin-Ab12.woff2)" in script
        assert (tmp_path / f"admin/fonts/{family}-latin-Ab12.woff2").read_text(encoding="utf-8") == f"font {family}"
        assert (tmp_path / f"admin/fonts/{family}.LICENSE.txt").is_file()
    assert (tmp_path / "admin/locales/zh-CN.json").read_text(encoding="utf-8") == '{"create": "新建"}'
    assert "没有 CMS 脚本" not in proc.stderr


def test_an_unknown_bundle_is_refused_before_writing(tmp_path):
    package = fake_package(tmp_path / "pkg", script="var x=`https://unpkg.com/@sveltia/cms/locales`;")
    proc = run("cms", "--root", with_cms(tmp_path), "--out", tmp_path / "admin", "--package", package)
    assert proc.returncode == 2 and "认不出" in proc.stderr, proc.stderr
    assert not (tmp_path / "admin").exists()


def test_an_incomplete_package_is_refused_before_writing(tmp_path):
    package = fake_package(tmp_path / "pkg")
    (package / "locales/zh-CN.json").unlink()
    proc = run("cms", "--root", with_cms(tmp_path), "--out", tmp_path / "admin", "--package", package)
    assert proc.returncode == 2 and "缺少 zh-CN.json" in proc.stderr, proc.stderr
    assert not (tmp_path / "admin").exists()


def test_a_linked_file_inside_the_admin_folder_is_refused(tmp_path):
    root, package = with_cms(tmp_path), fake_package(tmp_path / "pkg")
    assert run("cms", "--root", root, "--out", tmp_path / "admin", "--package", package).returncode == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    font = tmp_path / "admin/fonts/noto-mono-latin-Ab12.woff2"
    font.unlink()
    font.symlink_to(victim)
    proc = run("cms", "--root", root, "--out", tmp_path / "admin", "--package", package)
    assert proc.returncode == 2 and "符号链接" in proc.stderr
    assert victim.read_text(encoding="utf-8") == "keep"


def test_the_real_package_vendors_without_cdn_addresses():
    files = cms.vendor(Path(os.environ.get("DANGJIAN_SVELTIA_PACKAGE") or cms.shipped_package()))
    script = files[cms.SCRIPT_NAME].decode("utf-8")
    assert "cdn.jsdelivr.net" not in script and "=`locales`" in script
    assert "locales/zh-CN.json" in files
    assert sum(name.endswith(".woff2") for name in files) == 3


def test_the_config_holds_no_registry_data():
    """The config is public on the site: it comes from the schema and the cms settings alone."""
    text = cms.render_config(SETTINGS["github"])
    for roster in (DEMO / "registry/members").rglob("*.yaml"):
        for item in yaml.safe_load(roster.read_text(encoding="utf-8")):
            assert item["name"] not in text and item["id"] not in text


# --- where the files go (hostile output paths) ----------------------------------------------------


def test_a_linked_output_folder_is_refused(tmp_path):
    root = with_cms(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "admin").symlink_to(elsewhere)
    proc = run("cms", "--root", root, "--out", root / "admin")
    assert proc.returncode == 2 and "符号链接" in proc.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_linked_config_file_is_refused(tmp_path):
    root = with_cms(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin/config.yml").symlink_to(victim)
    proc = run("cms", "--root", root, "--out", tmp_path / "admin")
    assert proc.returncode == 2 and "符号链接" in proc.stderr
    assert victim.read_text(encoding="utf-8") == "keep"


def test_someone_elses_page_is_not_overwritten(tmp_path):
    root = with_cms(tmp_path)
    (tmp_path / "www").mkdir()
    (tmp_path / "www/index.html").write_text("<p>首页</p>", encoding="utf-8")
    proc = run("cms", "--root", root, "--out", tmp_path / "www")
    assert proc.returncode == 2 and "为免覆盖" in proc.stderr
    assert (tmp_path / "www/index.html").read_text(encoding="utf-8") == "<p>首页</p>"
    assert not (tmp_path / "www/config.yml").exists()


def test_its_own_folder_is_written_again(tmp_path):
    root = with_cms(tmp_path)
    assert run("cms", "--root", root, "--out", tmp_path / "admin").returncode == 0
    first = (tmp_path / "admin/config.yml").read_bytes()
    assert run("cms", "--root", root, "--out", tmp_path / "admin").returncode == 0
    assert (tmp_path / "admin/config.yml").read_bytes() == first


@pytest.mark.parametrize("inside", ["registry/admin", "content/admin", ".git/admin"])
def test_not_into_the_registry_folders(tmp_path, inside):
    root = with_cms(tmp_path)
    (root / ".git").mkdir(exist_ok=True)
    proc = run("cms", "--root", root, "--out", root / inside)
    assert proc.returncode == 2, proc.stderr
    assert not (root / inside).exists()


def test_validate_accepts_cms_settings(tmp_path):
    proc = run("validate", "--root", with_cms(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- in the browser: the demo's roster edited through Sveltia's local workflow -------------------

# The Sveltia files shipped with dangjian, or an unpacked npm package of another version to try.
PACKAGE = os.environ.get("DANGJIAN_SVELTIA_PACKAGE") or (str(cms.shipped_package()) if cms.shipped_package() else None)
ROSTER = "registry/members/caota/caota-chuntangdong.yaml"
# Requests the vendored page may still make (each fails harmlessly when blocked): the update check,
# and GitHub's status page with the GitHub backend.
ALLOWED_OUTSIDE = {"https://unpkg.com/@sveltia/cms/package.json", "https://www.githubstatus.com/api/v2/status.json"}
FILL_FOLDER = """async (files) => {
  const root = await navigator.storage.getDirectory();
  for await (const [name] of root.entries()) await root.removeEntry(name, {recursive: true});
  await root.getDirectoryHandle('.git', {create: true});
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/'); let dir = root;
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, {create: true});
    const writer = await (await dir.getFileHandle(parts.at(-1), {create: true})).createWritable();
    await writer.write(text); await writer.close();
  }
}"""
READ_FILE = """async (path) => {
  const parts = path.split('/'); let dir = await navigator.storage.getDirectory();
  try {
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
    return await (await (await dir.getFileHandle(parts.at(-1))).getFile()).text();
  } catch (error) {
    // not written yet, or being written (the read races Sveltia's write): the caller reads again
    if (['NotFoundError', 'NotReadableError', 'InvalidStateError'].includes(error.name)) return '';
    throw error;
  }
}"""


class Session:
    """The admin page in Chromium, logged in to a local repository holding a copy of the demo."""

    def __init__(self, page, files: dict[str, str], repo: Path, base: str):
        self.page, self.files, self.repo, self.base = page, files, repo, base
        self.outside: set[str] = set()

    def open(self, address: str) -> None:
        self.page.goto(self.base + "/admin/#/collections/" + address)

    def read(self, path: str) -> str:
        return self.page.evaluate(READ_FILE, path)

    def saved(self, path: str, marker: str) -> str:
        """The file once the save has reached it (the write is asynchronous)."""
        for _ in range(50):
            text = self.read(path)
            if marker in text:
                return text
            self.page.wait_for_timeout(200)
        raise AssertionError(f"{path} was not saved")


@pytest.fixture
def sveltia(tmp_path, request):
    """Sveltia's local workflow, with an origin-private folder holding the demo handed over as the
    picked folder (headless Chromium cannot answer the folder picker); every request outside the
    local server is blocked and recorded."""
    import functools
    import http.server
    import shutil
    import threading

    from playwright.sync_api import sync_playwright

    width = getattr(request, "param", 1280)
    repo = tmp_path / "repo"
    for top in ("registry", "content"):
        shutil.copytree(DEMO / top, repo / top)
    site = repo / "registry/site.yaml"
    if not re.search(r"^cms:", site.read_text(encoding="utf-8"), re.M):  # the demo has its own since issue 19
        site.write_text(
            site.read_text(encoding="utf-8") + "cms: {backend: github, repo: xianwei/dangjian}\n", encoding="utf-8"
        )
    www = tmp_path / "www"
    proc = run("cms", "--root", repo, "--out", www / "admin", "--package", PACKAGE)
    assert proc.returncode == 0, proc.stderr
    files = {
        p.relative_to(repo).as_posix(): p.read_text(encoding="utf-8")
        for p in repo.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".md")
    }

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
            page = context.new_page()
            session = Session(page, files, repo, base)

            def route(request_route):
                url = request_route.request.url
                if url.startswith(base):
                    return request_route.continue_()
                session.outside.add(url.split("?")[0])
                return request_route.abort()

            context.route("**/*", route)
            page.goto(base + "/")
            page.evaluate(FILL_FOLDER, files)
            page.add_init_script("window.showDirectoryPicker = async () => navigator.storage.getDirectory();")
            page.goto(base + "/admin/")
            page.get_by_role("button", name="使用本地仓库").click(timeout=30_000)  # the Chinese UI, served locally
            page.get_by_text("积分记录").first.wait_for(timeout=30_000)
            yield session
            browser.close()
    finally:
        server.shutdown()
    assert session.outside <= ALLOWED_OUTSIDE, session.outside


needs_package = pytest.mark.skipif(
    not PACKAGE, reason="set DANGJIAN_SVELTIA_PACKAGE to an unpacked @sveltia/cms (npm pack @sveltia/cms@0.221.1)"
)


@needs_package
@pytest.mark.parametrize("sveltia", [390, 1280], indirect=True)
def test_a_roster_saved_by_the_cms_stays_a_valid_list(sveltia):
    """A roster opens as one list in the Chinese UI; saving a changed birth year changes that value
    only (same records, keys and key order) and leaves a file validation accepts."""
    page = sveltia.page
    width = page.viewport_size["width"]
    sveltia.open("member/entries/caota/caota-chuntangdong")
    born = page.get_by_role("spinbutton").first
    born.wait_for(timeout=30_000)
    assert born.input_value() == "1970"
    assert page.get_by_text("12 党员").count() == 1  # the file's twelve members, as one list
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    artifacts = DEMO / "test-artifacts" / "cms"
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / f"roster-{width}.png"))
    born.fill("1971")
    page.get_by_role("button", name="保存").first.click()
    after = sveltia.saved(ROSTER, "born: 1971")

    before_items, after_items = yaml.safe_load(sveltia.files[ROSTER]), yaml.safe_load(after)
    assert [list(item) for item in after_items] == [list(item) for item in before_items]  # same keys, same order
    assert after_items[0]["born"] == 1971
    after_items[0]["born"] = 1970
    assert after_items == before_items  # nothing else changed
    (sveltia.repo / ROSTER).write_text(after, encoding="utf-8")
    assert run("validate", "--root", sveltia.repo).returncode == 0


@needs_package
def test_a_bad_id_is_refused_in_the_form_in_chinese(sveltia):
    page = sveltia.page
    sveltia.open("member/entries/caota/caota-chuntangdong")
    first_id = page.get_by_role("textbox").first
    first_id.wait_for(timeout=30_000)
    assert first_id.input_value() == "m-chen-haifeng"
    first_id.fill("M-Chen Haifeng")
    page.get_by_role("button", name="保存").first.click()
    page.get_by_text("应为小写英文字母、数字和 `-`，以字母或数字开头").first.wait_for(timeout=10_000)
    page.wait_for_timeout(1000)
    assert sveltia.read(ROSTER) == sveltia.files[ROSTER]  # nothing written


@needs_package
def test_a_hidden_field_keeps_its_values_on_save(sveltia):
    """A result's scores have no form (a mapping of mappings): a save elsewhere in the file keeps them."""
    result = "registry/assessments/results/haian-towns/2017.yaml"
    page = sveltia.page
    sveltia.open("result/entries/haian-towns/2017")
    page.get_by_role("button", name="全部展开").first.click(timeout=30_000)
    reason = page.get_by_role("textbox").nth(1)  # period, then the first adjustment's reason
    assert reason.input_value().startswith("丰产村")
    reason.fill(reason.input_value() + "（复核）")
    page.get_by_role("button", name="保存").first.click()
    after = yaml.safe_load(sveltia.saved(result, "（复核）"))
    before = yaml.safe_load(sveltia.files[result])
    assert after["scores"] == before["scores"]
    after["adjustments"][0]["reason"] = before["adjustments"][0]["reason"]
    assert after == before


@needs_package
def test_a_new_org_is_written_under_its_id(sveltia):
    """The slug template `{{fields.id}}`: the file is named by the id typed in, relations store ids."""
    page = sveltia.page
    sveltia.open("org/new")
    boxes, combos = page.get_by_role("textbox"), page.get_by_role("combobox")
    boxes.first.wait_for(timeout=30_000)
    boxes.nth(0).fill("caota-ceshi")
    boxes.nth(1).fill("测试村党支部")
    for index, option in (
        (0, "党支部"),
        (1, "农村"),
        (2, "诸暨市草塔镇党委"),
    ):  # kind, domain, parent (by Chinese name): the declarations' order
        combos.nth(index).click()
        page.get_by_role("option", name=option, exact=True).first.click()
    page.get_by_role("button", name="保存").first.click()
    written = yaml.safe_load(sveltia.saved("registry/orgs/caota-ceshi.yaml", "caota-ceshi"))
    assert written == {
        "id": "caota-ceshi",
        "name": "测试村党支部",
        "kind": "党支部",
        "parent": "caota",
        "domain": "农村",
    }
    (sveltia.repo / "registry/orgs/caota-ceshi.yaml").write_text(
        sveltia.read("registry/orgs/caota-ceshi.yaml"), encoding="utf-8"
    )
    assert run("validate", "--root", sveltia.repo).returncode == 0


@needs_package
def test_an_uploaded_logo_goes_into_content_assets(sveltia, tmp_path):
    """An image is uploaded to content/assets/ and stored as a path relative to it, as the format wants."""
    from PIL import Image

    image = tmp_path / "fengzheng-new.png"
    Image.new("RGB", (40, 40), (200, 16, 46)).save(image)
    brand = "registry/brands/haian-fengzheng.yaml"
    page = sveltia.page
    sveltia.open("brand/entries/haian-fengzheng")
    page.locator("input[type=file]").first.set_input_files(str(image), timeout=30_000)
    page.get_by_text("fengzheng-new.png").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="保存").first.click()
    written = yaml.safe_load(sveltia.saved(brand, "fengzheng-new.png"))
    assert written["logo"] == "fengzheng-new.png"
    stored = page.evaluate("""async () => {
      const assets = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('content'))
        .getDirectoryHandle('assets');
      const file = await (await assets.getFileHandle('fengzheng-new.png')).getFile();
      return [...new Uint8Array(await file.arrayBuffer())];
    }""")
    assert bytes(stored) == image.read_bytes()  # stored as uploaded
    (sveltia.repo / "content/assets/fengzheng-new.png").write_bytes(bytes(stored))
    (sveltia.repo / brand).write_text(sveltia.read(brand), encoding="utf-8")
    assert run("validate", "--root", sveltia.repo).returncode == 0


# --- /admin/ in a built site (the call site/build.py is to make) ----------------------------------


def test_site_admin_follows_the_settings(tmp_path):
    site = {"title": "测试镇党建", "cms": {"backend": "gitea", "repo": "xianwei/dangjian"}}
    package = fake_package(tmp_path / "pkg")
    written, warning = cms.site_admin(site, tmp_path / "site", package)
    assert warning is None and "admin/index.html" in written and "admin/sveltia-cms.js" in written
    assert (
        yaml.safe_load((tmp_path / "site/admin/config.yml").read_text(encoding="utf-8"))["backend"]["name"] == "gitea"
    )
    assert cms.site_admin({"title": "x"}, tmp_path / "none", package) == ([], None)
    assert cms.site_admin({**site, "cms": {**site["cms"], "admin": False}}, tmp_path / "off", package) == ([], None)
    assert not (tmp_path / "none").exists() and not (tmp_path / "off").exists()


def test_site_admin_never_replaces_a_page_of_the_site(tmp_path):
    """A free page `content/pages/admin.md` is rendered at admin/ (the navigation links to it): the admin page
    must not silently take its place. Seen: the page was overwritten and its links led to the CMS."""
    site = tmp_path / "site"
    (site / "admin").mkdir(parents=True)
    (site / "admin/index.html").write_text("<h1>管理说明</h1>", encoding="utf-8")
    settings_ = {"title": "x", "cms": {"backend": "github", "repo": "a/b"}}
    written, warning = cms.site_admin(settings_, site, fake_package(tmp_path / "pkg"))
    assert written == [] and warning and "content/pages/admin.md" in warning and "admin: false" in warning
    assert [p.name for p in (site / "admin").iterdir()] == ["index.html"]
    assert (site / "admin/index.html").read_text(encoding="utf-8") == "<h1>管理说明</h1>"


def test_site_admin_without_a_package_warns_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(cms, "shipped_package", lambda: None)
    written, warning = cms.site_admin({"title": "x", "cms": {"backend": "github", "repo": "a/b"}}, tmp_path / "site")
    assert written == [] and "没有生成 /admin/" in warning
    assert not (tmp_path / "site").exists()


# --- scripts/vendor_sveltia.py --------------------------------------------------------------------

VENDOR_SCRIPT = DEMO / "scripts" / "vendor_sveltia.py"


def fake_tgz(tmp_path: Path) -> tuple[Path, str]:
    import base64
    import hashlib
    import tarfile

    package = fake_package(tmp_path / "unpacked")
    tgz = tmp_path / "sveltia-cms-9.9.9.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        archive.add(package, arcname="package")
    return tgz, "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()


def test_the_vendoring_script_copies_what_vendor_reads(tmp_path):
    tgz, integrity = fake_tgz(tmp_path)
    target = tmp_path / "cms_vendor"
    done = subprocess.run(
        [sys.executable, str(VENDOR_SCRIPT), "--tgz", str(tgz), "--integrity", integrity, "--target", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    files = cms.vendor(target)  # the copy is enough to write /admin/
    assert set(files) >= {cms.SCRIPT_NAME, "locales/zh-CN.json", "LICENSE.txt"}
    assert integrity in (target / "SOURCE").read_text(encoding="utf-8")


def test_the_vendoring_script_refuses_another_tarball(tmp_path):
    tgz, _ = fake_tgz(tmp_path)
    target = tmp_path / "cms_vendor"
    done = subprocess.run(
        [sys.executable, str(VENDOR_SCRIPT), "--tgz", str(tgz), "--target", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "is not the pinned" in done.stderr
    assert not target.exists()


def test_the_vendoring_script_replaces_only_its_own_folder(tmp_path):
    tgz, integrity = fake_tgz(tmp_path)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "notes.txt").write_text("keep", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(VENDOR_SCRIPT), "--tgz", str(tgz), "--integrity", integrity, "--target", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and (target / "notes.txt").read_text(encoding="utf-8") == "keep"


@needs_package
def test_a_ledger_entry_is_appended_and_nothing_else_changes(sveltia):
    """The most frequent edit, 履责 points after a 主题党日: one entry added at the end of a ledger
    file, member and rule picked by their Chinese names; the file's other bytes stay as they were."""
    ledger = "registry/points/ledger/caota/caota-chuntangdong-2015.yaml"
    page = sveltia.page
    sveltia.open("ledger/entries/caota/caota-chuntangdong-2015")
    page.get_by_text("46 积分记录").wait_for(timeout=30_000)
    page.get_by_role("button", name=re.compile("添加.*积分记录")).last.click()
    # the new item's two pickers (member, rule) are the last two, and empty, once it has rendered
    page.wait_for_function("""() => { const c = [...document.querySelectorAll('[role=combobox]')];
        return c.length >= 2 && c.slice(-2).every(e => !e.textContent.trim()); }""")
    combos = page.get_by_role("combobox")
    for combo, name in ((combos.nth(combos.count() - 2), "陈海峰"), (combos.last, "结对帮扶困难群众")):
        combo.click()
        option = page.get_by_role("option", name=re.compile("^" + name)).first
        option.wait_for(timeout=10_000)
        option.click()
        page.wait_for_timeout(300)
    page.locator("input[type=date]").last.fill("2015-10-01")
    page.get_by_role("textbox").last.fill("帮助困难户秋收")
    page.get_by_role("button", name="保存").first.click()
    after = sveltia.saved(ledger, "帮助困难户秋收")
    assert (
        after
        == sveltia.files[ledger]
        + "- member: m-chen-haifeng\n  date: 2015-10-01\n  rule: help\n  note: 帮助困难户秋收\n"
    )
    (sveltia.repo / ledger).write_text(after, encoding="utf-8")
    assert run("validate", "--root", sveltia.repo).returncode == 0


LIST_FILES = """async () => {
  const out = [];
  async function walk(dir, prefix) {
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind === 'directory') { if (name !== '.git') await walk(handle, prefix + name + '/'); }
      else out.push(prefix + name);
    }
  }
  await walk(await navigator.storage.getDirectory(), '');
  return out;
}"""


@needs_package
def test_a_new_story_is_a_markdown_file_with_a_valid_slug(sveltia):
    """Stories: front matter from the form, the body from the editor, a file name that is a valid slug."""
    page = sveltia.page
    sveltia.open("story/new")
    boxes = page.get_by_role("textbox")
    boxes.first.wait_for(timeout=30_000)
    boxes.first.fill("溪南村党员清理河道")
    page.locator("input[type=date]").first.fill("2015-08-01")
    body = page.locator('[aria-label^="编辑"] section[data-key-path="body"] [contenteditable=true]')
    for _ in range(50):  # the form is long (photos, video): Sveltia renders the body once scrolled near it
        if body.count():
            break
        page.locator('[aria-label^="编辑"] section[data-key-path]').last.evaluate("e => e.scrollIntoView()")
        page.wait_for_timeout(200)
    body.first.click()
    page.keyboard.type("党员们沿河捡拾垃圾。")
    page.get_by_role("button", name="保存").first.click()
    new: list[str] = []
    for _ in range(50):
        new = [f for f in page.evaluate(LIST_FILES) if f not in sveltia.files]
        if new:
            break
        page.wait_for_timeout(200)
    (path,) = new
    assert re.fullmatch(r"content/stories/[0-9]{8}-[0-9]{6}\.md", path), path
    text = sveltia.saved(path, "捡拾垃圾")
    assert text == "---\ntitle: 溪南村党员清理河道\ndate: 2015-08-01\n---\n\n党员们沿河捡拾垃圾。\n"
    (sveltia.repo / path).write_text(text, encoding="utf-8")
    assert run("validate", "--root", sveltia.repo).returncode == 0


@needs_package
def test_a_member_added_to_a_roster_is_appended(sveltia):
    """A new member at the end of a roster, written in the format's field order; the other members keep
    their values and key order (this roster's flow lists `[书记]` come back in block style: see docs/cms.md)."""
    page = sveltia.page
    sveltia.open("member/entries/caota/caota-chuntangdong")
    page.get_by_text("12 党员").wait_for(timeout=30_000)
    page.get_by_role("button", name=re.compile("添加.*党员")).last.click()
    page.get_by_text("13 党员").wait_for(timeout=10_000)
    # The new member's org picker is the one empty picker (the others show a name or "(无)"); its id
    # and name boxes are the two text boxes just before it. Mark them for the locators below.
    page.wait_for_function("""() => {
        const all = [...document.querySelectorAll('input[type=text], [role=combobox]')];
        const i = all.findIndex(e => e.getAttribute('role') === 'combobox' && !e.textContent.trim());
        if (i < 2) return false;
        [all[i - 2].dataset.fresh, all[i - 1].dataset.fresh, all[i].dataset.fresh] = ['id', 'name', 'org'];
        return true; }""")
    page.locator("[data-fresh=id]").fill("m-chen-xiaoyan")
    page.locator("[data-fresh=name]").fill("陈晓燕")
    page.locator("[data-fresh=org]").click()
    option = page.get_by_role("option", name=re.compile("^莼塘东村党支部")).first
    option.wait_for(timeout=10_000)
    option.click()
    page.get_by_role("radio", name="入党积极分子").last.check()
    page.get_by_role("button", name="保存").first.click()
    after = sveltia.saved(ROSTER, "m-chen-xiaoyan")
    before_items, after_items = yaml.safe_load(sveltia.files[ROSTER]), yaml.safe_load(after)
    assert after_items[:-1] == before_items and [list(i) for i in after_items[:-1]] == [list(i) for i in before_items]
    assert after.endswith("- id: m-chen-xiaoyan\n  name: 陈晓燕\n  org: caota-chuntangdong\n  status: 入党积极分子\n")
    (sveltia.repo / ROSTER).write_text(after, encoding="utf-8")
    assert run("validate", "--root", sveltia.repo).returncode == 0


@pytest.mark.parametrize("admin", [True, False], ids=["admin", "opted-out"])
def test_a_built_site_has_admin_when_site_yaml_says_cms(registry, tmp_path, admin):
    """`dangjian build` writes /admin/ from the Sveltia files shipped with dangjian (no CDN), and the
    privacy gate has read it; `admin: false` opts out."""
    from bs4 import BeautifulSoup

    from dangjian.site.build import build

    root = registry()
    site_yaml = root / "registry/site.yaml"
    setting = "cms: {backend: github, repo: xianwei/dangjian" + ("" if admin else ", admin: false") + "}\n"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + setting, encoding="utf-8")
    report = build(root, tmp_path / "site", with_search=False)
    admin_dir = report.out / "admin"
    if not admin:
        assert not admin_dir.exists()
        return
    page = BeautifulSoup((admin_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.html.get("lang", "").startswith("zh")
    scripts = [s.get("src") for s in page.find_all("script") if s.get("src")]
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts)
    assert all((admin_dir / s).is_file() for s in scripts)
    assert "repo: xianwei/dangjian" in (admin_dir / "config.yml").read_text(encoding="utf-8")
    assert not [w for w in report.warnings if "admin" in w]
