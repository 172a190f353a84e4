"""The browser's 繁→简 folding (assets/dangjian/t2s.js, run in Node, or in Chromium where Node is
missing) against OpenCC, character by character, and the committed script against what
scripts/make_t2s.py generates."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess

import opencc
import pytest

from conftest import REPO
from site_helpers import CHROMIUM, launch_chromium
from dangjian.site import search

T2S_JS = REPO / "site_templates/overrides/assets/dangjian/t2s.js"
NODE = shutil.which("node")
REQUIRED = bool(os.environ.get("DANGJIAN_REQUIRE_BROWSER"))

needs_node = pytest.mark.skipif(
    NODE is None and CHROMIUM is None and not REQUIRED, reason="neither node nor chromium is installed"
)


def _make_t2s():
    spec = importlib.util.spec_from_file_location("make_t2s", REPO / "scripts/make_t2s.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def browser_fold(texts: list[str]) -> list[str]:
    """Each of `texts` folded by the committed t2s.js, run as the browser runs it."""
    if NODE is None:
        return _chromium_fold(texts)
    program = (
        "global.window = {};"
        f"require({json.dumps(str(T2S_JS))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(window.djT2S)));"
    )
    result = subprocess.run(
        [NODE, "-e", program], input=json.dumps(texts), capture_output=True, text=True, check=True, encoding="utf-8"
    )
    return json.loads(result.stdout)


def _chromium_fold(texts: list[str]) -> list[str]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.add_script_tag(content=T2S_JS.read_text(encoding="utf-8"))
        folded = page.evaluate("texts => texts.map(window.djT2S)", texts)
        browser.close()
    return folded


def every_han_character() -> list[str]:
    return [chr(code) for low, high in search.HAN_RANGES for code in range(low, high + 1)]


@needs_node
def test_every_character_folds_as_opencc_converts_it():
    converter = opencc.OpenCC("t2s")
    chars = every_han_character()
    folded = browser_fold(chars)
    wrong = [(char, got, converter.convert(char)) for char, got in zip(chars, folded) if got != converter.convert(char)]
    assert wrong == [], f"{len(wrong)} characters fold wrongly, e.g. {wrong[:10]}"


@needs_node
def test_a_string_is_folded_by_code_point():
    # The pairs misaligned when the table was read by UTF-16 code unit (the examples),
    # and characters outside the Basic Multilingual Plane on either side of the table.
    # 㑮 and 㒓 fold to characters beyond it, 𠁞 and 𨋢 are beyond it and fold.
    texts = ["黨員活動日", "書記", "鄉村振興", "民情分析會", "㑮會𠁞㒓𨋢", "G20峰會、𠮷野家"]
    assert browser_fold(texts) == ["党员活动日", "书记", "乡村振兴", "民情分析会", "𫝈会𠀾𠉂䢂", "G20峰会、𠮷野家"]
    assert [opencc.OpenCC("t2s").convert(ch) for ch in "㑮𠁞㒓𨋢"] == ["𫝈", "𠀾", "𠉂", "䢂"]


@needs_node
def test_the_browser_and_the_build_fold_alike():
    # The index copy is folded in Python (search.fold) and the query in the browser: one table.
    sample = "".join(search.fold_table()) + "党建+生态：万名党员护美争靓 Made with 2015年"
    assert browser_fold([sample]) == [search.fold(sample)]


def test_every_entry_of_the_table_is_one_character_to_one_opencc_changes():
    converter = opencc.OpenCC("t2s")
    table = search.fold_table()
    assert len(table) > 5000
    assert all(len(t) == 1 and len(s) == 1 and converter.convert(t) == s != t for t, s in table.items())
    assert sum(ord(t) > 0xFFFF for t in table) > 500 and sum(ord(s) > 0xFFFF for s in table.values()) > 500


def test_the_committed_script_is_the_generated_one():
    assert T2S_JS.read_text(encoding="utf-8") == _make_t2s().script(), "run scripts/make_t2s.py"
