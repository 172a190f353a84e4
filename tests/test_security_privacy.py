"""Privacy against an attacker (issue 16): a private name or a personal number, split, encoded or
disguised, is stopped by validation or by the privacy gate; commit subjects are redacted, not fatal.

Validation, the gate and redaction read text through one normaliser (dangjian.normalise).
"""

from __future__ import annotations

import gzip
import html
import io
import json
import os
import shutil
import struct
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from conftest import REPO
from dangjian.personal import find_identifiers, id_check_digit_ok
from dangjian.site.privacy import Gate
from dangjian.validate import validate

PRIVATE = "杨长根"  # traditional: 楊長根
PRIVATE_SHORT = "王东"  # inside the public 王东方 (east's secretary)
PRIVATE_ID = "m-yang-cg"
MORE = f"""- id: {PRIVATE_ID}
  name: {PRIVATE}
  org: east
  status: 入党申请人
- id: m-wang-d
  name: {PRIVATE_SHORT}
  org: east
  status: 入党申请人
"""
MOBILE = "13912345678"
ID_NUMBER = "110101199003071233"


def more(registry, extra: dict | None = None) -> Path:
    return registry({"registry/members/more.yaml": MORE, **(extra or {})})


@pytest.fixture
def gate(registry) -> Gate:
    return Gate(validate(more(registry)).registry)


def test_the_sample_numbers_are_real_shapes():
    assert id_check_digit_ok(ID_NUMBER)


# --- split and disguised names -------------------------------------------------------------------

SPLIT_NAMES = [
    "**杨**长根",
    "杨<i>长</i>根",
    '杨<span class="x">长</span>根',
    "杨\u200b长根",
    "杨\u00ad长根",
    "杨\u2060长\ufe0f根",
    "楊長根",
    "杨&#38271;根",
    "杨&#x957F;根",
    "&#26472;&#38271;&#26681;",
    "杨&lt;i&gt;长&lt;/i&gt;根",
    "杨 长 根",
    "杨\n长根",
    "杨\\u957f根",
    "\\u6768\\u957f\\u6839",
    "~~杨~~`长`根",
    "杨_长_根",
    quote("杨长根"),
    quote("杨长根", encoding="gb18030"),
    "/stories/" + quote("楊長根", encoding="gb18030") + "/",
    "ｍ-ｙａｎｇ-ｃｇ",
    "M-YANG-CG",
    "&lt;b 杨长根&gt;",
]


@pytest.mark.parametrize("text", SPLIT_NAMES)
def test_a_split_or_disguised_name_or_id_is_found_by_the_gate(gate, text):
    leaks = gate.scan_text(f"<p>活动记录：{text}参加。</p>", "x.html")
    assert leaks and "不公开党员" in leaks[0].what


NUMBERS = [
    "139.1234.5678",
    "139—1234—5678",
    "139/1234/5678",
    "139–1234–5678",
    "139－1234－5678",
    "139 - 1234 - 5678",
    "１３９．１２３４．５６７８",
    "139<b>1234</b>5678",
    "+86 139 1234 5678",
    "tel:13912345678",
    "110101-19900307-1233",
    "110101 19900307 1233",
    "ID110101199003071233",
    "110101/1990/0307/1233",
    "身份证110101１９９００３０７1233号",
]


@pytest.mark.parametrize("text", NUMBERS)
def test_numbers_with_any_separators_are_found_by_validation_and_the_gate(gate, text):
    assert list(find_identifiers(f"联系：{text}。")), text
    leaks = gate.scan_text(f"<p>联系：{text}。</p>", "x.html")
    assert leaks and leaks[-1].what in ("手机号码", "身份证号码")


HARMLESS = [
    "2026-03-01",
    "2026-03-01—2026-03-31",
    "会议于2026年3月1日召开，经费13.50万元",
    "编号 1381234567899",
    "得分 95.50 88.00 13.50 87.25",
    "1,391,234,567元",
    "书记王东方发言",
    "王东方、赵大年参加",
    "13:91:23 45",
    "邮编 310000 电话区号 0571",
    "第 1 2 3 4 5 6 7 8 9 10 11 名",
]


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_no_leak(gate, text):
    assert gate.scan_text(f"<p>{text}</p>", "x.html") == []
    assert list(find_identifiers(text)) == []


def test_a_private_name_inside_a_public_name_stays_allowed_in_every_reading(gate):
    for text in ("书记**王东方**", "书记王&#19996;方", "书记" + quote("王东方"), "书记王\u200b东方"):
        assert gate.scan_text(text, "x.html") == [], text
    assert gate.scan_text("书记王东方和**王**东", "x.html")


# --- every output file and every output path -----------------------------------------------------


def png_with_text(key: bytes, value: bytes, kind: bytes = b"tEXt") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    data = buffer.getvalue()
    payload = key + b"\0" + (b"\0" + zlib.compress(value) if kind == b"zTXt" else value)
    chunk = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    return data[:33] + chunk + data[33:]  # after the IHDR chunk


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def _webp(kind: bytes, payload: bytes) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "WEBP")
    data = buffer.getvalue()
    chunk = kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")
    body = data[12:] + chunk
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _zipped(members: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def leaks_in(gate: Gate, tmp_path: Path, files: dict[str, bytes]) -> list:
    site = tmp_path / "site"
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (site / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    return gate.scan_tree(site)


@pytest.mark.parametrize(
    "rel, data",
    [
        ("assets/a.png", png_with_text(b"Author", PRIVATE.encode("utf-8"))),
        ("assets/b.png", png_with_text(b"Author", PRIVATE_SHORT[:1].encode("gb18030") + "東".encode("gb18030"))),
        ("assets/c.png", png_with_text(b"Comment", MOBILE.encode(), b"zTXt")),
        ("assets/d.jpg", f"这不是图片：{PRIVATE}".encode("utf-8")),
        ("assets/e.jpg", f"这不是图片：{PRIVATE}".encode("gb18030")),
        ("assets/f.woff2", f"号码 {ID_NUMBER}".encode("utf-16")),
        ("api/g.json.gz", gzip.compress(json.dumps({"tel": MOBILE}).encode())),
        ("api/h.gz", gzip.compress(gzip.compress(f"{PRIVATE_ID}".encode()))),
        ("assets/i.bin", os.urandom(3000) + PRIVATE.encode("utf-8") + os.urandom(3000)),
        ("assets/j.bin", os.urandom(3000) + PRIVATE.encode("utf-16-le") + os.urandom(3000)),
        ("assets/n.png", png_with_text(b"Author", b"x") + "附：杨长根".encode("gb18030")),
        ("assets/o.jpg", _jpeg() + f"附：{PRIVATE}".encode("utf-16-le")),
        ("assets/q.jpg", _jpeg()[:-2] + PRIVATE.encode("utf-8") + b"\xff\xd9"),
        ("assets/r.png", png_with_text(b"Author", b"x").replace(b"IDAT", b"IDAT\0" + PRIVATE_ID.encode() + b"\0", 1)),
        ("assets/p.webp", _webp(b"EXIF", "作者王東".encode("gb18030"))),
        ("api/l.xlsx", _zipped({"xl/sharedStrings.xml": f"<t>{PRIVATE}</t>".encode()})),
        ("assets/m.zip", _zipped({f"{PRIVATE_ID}.txt": b"ok"})),
        (
            "assets/k.pdf",
            b"%PDF-1.4\n1 0 obj\n<< /Length 40 /Filter /FlateDecode >>\nstream\n"
            + zlib.compress(f"(作者 {PRIVATE})".encode())
            + b"\nendstream\n",
        ),
    ],
    ids=[
        "png-itxt-utf8",
        "png-text-gbk",
        "png-ztxt-mobile",
        "text-named-jpg",
        "gbk-named-jpg",
        "utf16-named-woff2",
        "json-gz",
        "gzip-in-gzip",
        "utf8-in-binary",
        "utf16-in-binary",
        "gbk-after-png",
        "utf16-after-jpeg",
        "utf8-in-jpeg-scan",
        "id-in-png-pixels",
        "webp-exif-gbk",
        "xlsx",
        "zip-member-name",
        "pdf-stream",
    ],
)
def test_the_gate_reads_binary_and_compressed_files(gate, tmp_path, rel, data):
    leaks = leaks_in(gate, tmp_path, {rel: data})
    assert [leak.file for leak in leaks] == [rel]


@pytest.mark.parametrize(
    "rel, data",
    [
        # Latin-1 bytes ¹ ² ³ ¼ fold to digits (NFKC): a county's Pagefind index held "¹8898818888"
        # and failed every build with search, as a "mobile number" no page had.
        ("pagefind/index/und_1.pf_index", gzip.compress(b"pagefind_dcd\x00/\xb98898818888;\xb2\xb3")),
        ("assets/dangjian/font.woff2", b"wOF2\x00\x01" + os.urandom(64) + b"/\xb98898818888;" + b"\xbc\xb9\xb3" * 20),
        # Pagefind's words are the pages' words, scanned as text: digits of neighbouring words are no number.
        (
            "pagefind/index/und_2.pf_index",
            gzip.compress(
                b"pagefind_dcd\x00" + bytes(range(128, 256)) + b"\x03139 1234 5678\x00" + bytes(range(255, 127, -1))
            ),
        ),
    ],
    ids=["superscripts-in-pagefind", "superscripts-in-binary", "pagefind-neighbouring-words"],
)
def test_digits_made_by_folding_binary_bytes_are_no_number(gate, tmp_path, rel, data):
    assert leaks_in(gate, tmp_path, {rel: data}) == []


def test_ascii_digits_in_binary_bytes_are_still_numbers(gate, tmp_path):
    data = b"wOF2\x00\x01" + os.urandom(64) + b"\x00" + MOBILE.encode() + b"\x00" + os.urandom(64)
    assert [leak.what for leak in leaks_in(gate, tmp_path, {"assets/font.woff2": data})] == ["手机号码"]


@pytest.mark.parametrize(
    "rel",
    [
        f"assets/{PRIVATE}.png",
        f"assets/{PRIVATE_ID}/photo.png",
        f"assets/{quote(PRIVATE)}.png",
        f"assets/{quote(PRIVATE, encoding='gb18030')}.png",
        f"assets/photo-{MOBILE}.png",
        "assets/楊長根-2026.png",
        "stories/yang-chang-gen/index.html",
        "stories/2026-YangChangGen/index.html",
        "assets/yáng_cháng_gēn.png",
    ],
)
def test_the_gate_reads_every_output_path(gate, tmp_path, rel):
    leaks = leaks_in(gate, tmp_path, {rel: b"<p>ok</p>"})
    assert [leak.file for leak in leaks] == [rel]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/yang-chang-gen/",
        "https://example.org/p/YangChangGen.html",
        "https://example.org/stories/yáng-cháng-gēn",
    ],
)
def test_the_gate_reads_addresses_in_sitemaps_and_feeds(gate, tmp_path, url):
    files = {
        "sitemap.xml": f"<urlset><url><loc>{url}</loc></url></urlset>".encode(),
        "feed.xml": b'<feed><entry><link href="https://example.org/wang-dong-fang/"/></entry></feed>',
    }
    assert [leak.file for leak in leaks_in(gate, tmp_path, files)] == ["sitemap.xml"]


def test_paths_of_public_names_and_ordinary_words_pass(gate, tmp_path):
    files = {
        "stories/wang-dong-fang-2026/index.html": b"<p>ok</p>",
        "assets/dangjian/search.js": b"var a = 1;",
        "orgs/east/index.html": b"<p>ok</p>",
        "stories/2026-03-01-road/index.html": b"<p>ok</p>",
    }
    assert leaks_in(gate, tmp_path, files) == []


def test_a_file_the_gate_cannot_read_is_a_failure(gate, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    (site / "broken.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (site / "link.html").symlink_to("/etc/hostname")
    (site / "linked").symlink_to(tmp_path)
    leaks = gate.scan_tree(site)
    assert [leak.file for leak in leaks] == ["broken.gz", "link.html", "linked"]
    assert all("无法" in leak.what or "链接" in leak.what for leak in leaks)


@pytest.mark.parametrize("engine", ["own", "pagefind"])
def test_the_demo_site_passes_the_gate(tmp_path, engine):
    """The normaliser's readings raise no false alarm on the demo site (its private members' names included), with
    either engine's index."""
    from site_helpers import build_site

    root = tmp_path / "demo"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    site = build_site(root, tmp_path / "site", search=True, engine=engine)
    gate = Gate(validate(root).registry)
    assert len([s for s in gate.secrets.values() if s.kind == "name"]) > 5
    assert gate.scan_tree(site) == []


# --- commit subjects are redacted, never fatal ---------------------------------------------------


@pytest.mark.parametrize(
    "subject, shown",
    [
        ("添加党员楊長根", "添加党员***"),
        ("添加党员杨\u200b长根", "添加党员***"),
        ("添加党员**杨**长根和王东方", "添加党员*****和王东方"),  # the opening ** stays
        (f"更正 {PRIVATE_ID} 的电话 139.1234.5678", "更正 *** 的电话 *************"),
    ],
)
def test_commit_subjects_are_redacted_in_every_reading(gate, subject, shown):
    assert gate.redact(subject) == shown


def test_a_traditional_name_in_a_commit_subject_is_redacted_and_the_build_passes(tmp_path):
    from git_helpers import RegistryRepo
    from site_helpers import build_site

    repo = RegistryRepo(tmp_path / "repo")
    repo.commit("添加党员", {"registry/members/more.yaml": MORE})
    repo.commit(
        "更正楊長根和杨\u200b长根的记录",
        {
            "registry/orgs/west.yaml": (repo.root / "registry/orgs/west.yaml").read_text(encoding="utf-8")
            + "labels: [先进]\n"
        },
    )
    site = build_site(repo.root, tmp_path / "site")
    changes = (site / "changes/index.html").read_text(encoding="utf-8")
    assert "更正***和***的记录" in changes


# --- validation: stories and pages ----------------------------------------------------------------

STORY = """---
title: {title}
date: 2026-04-02
org: east
brand: red
members: [m-east-sec]
tags: [书记项目]
source: 测试日报 2026-04-03
---
东村党支部带领党员为村道装上路灯。{body}
"""


def story_problems(registry, title="东村点亮回家路", body="", slug="east-road") -> list:
    overlay = {f"content/stories/{slug}.md": STORY.format(title=title, body=body)}
    if slug != "east-road":
        overlay["content/stories/east-road.md"] = None
    root = more(registry, overlay)
    return [p for p in validate(root).problems if p.code == "private-member"]


@pytest.mark.parametrize(
    "body",
    [
        "**杨**长根也参加了。",
        "杨<i>长</i>根也参加了。",
        "杨\u200b长根",
        "楊長根也参加了。",
        "[杨长根](https://example.org/" + quote("杨长根", encoding="gb18030") + ")",
    ],
)
def test_a_story_naming_a_private_member_in_any_disguise_is_invalid(registry, body):
    problems = story_problems(registry, body=body)
    assert [(p.file, p.line) for p in problems] == [("content/stories/east-road.md", 10)]
    assert PRIVATE not in problems[0].message and "m-yang-cg" in problems[0].message


def test_a_story_title_is_checked_too(registry):
    problems = story_problems(registry, title="楊長根的故事")
    assert [(p.line, p.column) for p in problems] == [(2, 8)]


def test_a_story_naming_a_public_member_whose_name_holds_a_private_one_is_valid(registry):
    assert story_problems(registry, body="书记**王东方**带头。") == []


@pytest.mark.parametrize("slug", ["yang-chang-gen", "2026-yangchanggen", "YangChangGen-road"])
def test_a_story_slug_spelling_a_private_name_in_pinyin_is_invalid(registry, slug):
    problems = story_problems(registry, slug=slug)
    assert [(p.file, p.line, p.column) for p in problems] == [(f"content/stories/{slug}.md", 1, 1)]
    assert "拼音" in problems[0].message


def test_a_slug_of_a_public_name_is_valid(registry):
    assert story_problems(registry, slug="wang-dong-fang-road") == []


# --- the roster import refuses separated numbers ---------------------------------------------------


@pytest.mark.parametrize("place", ["139.1234.5678", "139—1234—5678", "110101 19900307 1233"])
def test_import_roster_refuses_a_separated_number_in_a_place_cell(tmp_path, place):
    import openpyxl
    from click.testing import CliRunner

    from dangjian.cli import main

    root = tmp_path / "demo"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    org = "caota-ceshi"
    (root / f"registry/orgs/caota/{org}.yaml").write_text(
        f"id: {org}\nname: 测试村党支部\nkind: 党支部\nparent: caota\ndomain: 农村\n", encoding="utf-8"
    )
    book = openpyxl.Workbook()
    for row in [
        ["姓名", "党员状态", "入党时间", "流动情况", "流动地点", "流动时间"],
        ["陈磊", "正式党员", "2000-07-01", "流出", place, "2025-03"],
    ]:
        book.active.append(row)
    book.save(tmp_path / "a.xlsx")
    result = CliRunner().invoke(
        main, ["import", "roster", str(tmp_path / "a.xlsx"), "--root", str(root), "--org", org], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "像是" in result.output and place not in result.output
    assert not (root / f"registry/members/caota/{org}.yaml").exists()


# --- property: any splitting, encoding or separator of a secret is stopped ------------------------

_INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u200e", "\ufe0f", "\U000e0020"]
_WRAPS = [
    ("**", "**"),
    ("*", "*"),
    ("_", "_"),
    ("~~", "~~"),
    ("`", "`"),
    ("<i>", "</i>"),
    ("<b>", "</b>"),
    ("<span>", "</span>"),
    ('<a href="#x">', "</a>"),
]
_SEPARATORS = [
    " ",
    ".",
    "-",
    "/",
    "—",
    "–",
    "－",
    "‐",
    "／",
    "．",
    " - ",
    " / ",
    "\u3000",
    "_",
    "·",
]  # not ". ": a list's or a sentence's end


def _encode_char(char: str, how: str) -> str:
    if how == "entity":
        return f"&#{ord(char)};"
    if how == "hex":
        return f"&#x{ord(char):x};"
    if how == "utf8":
        return quote(char)
    if how == "gbk":
        return quote(char, encoding="gb18030")
    if how == "escape":
        return f"\\u{ord(char):04x}"
    if how == "traditional":
        return {"杨": "楊", "长": "長"}.get(char, char)
    return char


@st.composite
def disguised_name(draw) -> str:
    hows = ["plain", "entity", "hex", "utf8", "gbk", "escape", "traditional"]
    if draw(st.booleans()):  # one encoding for the whole name, or one per character
        parts = [_encode_char(c, draw(st.sampled_from(hows))) for c in PRIVATE]
    else:
        how = draw(st.sampled_from(hows))
        parts = [_encode_char(c, how) for c in PRIVATE]
    out = parts[0]
    for part in parts[1:]:
        gap = draw(st.sampled_from(["", "invisible", "wrap", "space"]))
        if gap == "invisible":
            out += draw(st.sampled_from(_INVISIBLES))
        elif gap == "space":
            out += draw(st.sampled_from([" ", "\n", "\u3000", "&nbsp;"]))
        if gap == "wrap":
            left, right = draw(st.sampled_from(_WRAPS))
            out += left + part + right
        else:
            out += part
    return out


@st.composite
def separated_number(draw) -> str:
    digits = draw(st.sampled_from([MOBILE, "15800001111", ID_NUMBER]))
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=3)))
    separator = draw(st.sampled_from(_SEPARATORS))
    groups = [digits[i:j] for i, j in zip([0, *cuts], [*cuts, len(digits)])]
    text = separator.join(groups)
    if draw(st.booleans()):
        text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return draw(st.sampled_from(["", "ID", "tel:", "电话", "No."])) + text


_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(name=disguised_name(), where=st.sampled_from(["body", "title", "feed", "json", "path", "subject"]))
def test_property_a_disguised_private_name_never_passes(gate, name, where):
    assert _stopped(gate, name, where), (name, where)


@_SETTINGS
@given(number=separated_number(), where=st.sampled_from(["body", "title", "feed", "json", "path", "subject"]))
def test_property_a_separated_number_never_passes(gate, number, where):
    assert list(find_identifiers(number)), number
    assert _stopped(gate, number, where), (number, where)


def _stopped(gate: Gate, secret: str, where: str) -> bool:
    """Whether the gate (or redaction, for commit subjects) stops `secret` placed `where`."""
    if where == "subject":
        shown = gate.redact(f"更新：{secret}，完成")
        return not gate.scan_text(f"<li>{html.escape(shown)}</li>", "changes/index.html")  # as the page shows it
    text = {
        "body": f"<article><p>东村：{secret}参加了活动。</p></article>",
        "title": f"<title>{secret}的故事</title><h1>{secret}的故事</h1>",
        "feed": "<description>"
        + secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        + "</description>",
        "json": json.dumps({"content": secret}, ensure_ascii=True),
        "path": "",
    }[where]
    if where == "path":
        return bool(gate.scan_path(f"assets/photo-{secret.replace('/', '')}.png"))
    return bool(gate.scan_text(text, "x"))


# --- property: validation stops the same disguises in stories, titles and file names --------------


def _pinyin_slug(draw) -> str:
    syllables = draw(
        st.sampled_from(
            [
                ["yang", "chang", "gen"],
                ["yáng", "cháng", "gēn"],
                ["yang2", "chang2", "gen1"],
                ["Yang", "Chang", "Gen"],
                ["YANG", "CHANG", "GEN"],
            ]
        )
    )
    joiner = draw(st.sampled_from(["", "-", "_", "."]))
    return (
        draw(st.sampled_from(["", "2026-", "story-"])) + joiner.join(syllables) + draw(st.sampled_from(["", "-road"]))
    )


@st.composite
def disguised_story(draw) -> tuple[str, str, str]:
    """(slug, title, body) with the private name disguised in one of them."""
    where = draw(st.sampled_from(["body", "title", "slug", "slug-name"]))
    name = draw(disguised_name())
    slug, title, body = "east-road", "东村点亮回家路", ""
    if where == "body":
        body = f"\n\n{name}也参加了。\n"
    elif where == "title":
        title = f'"{name.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}的故事"'
    elif where == "slug":
        slug = _pinyin_slug(draw)
    else:
        slug = draw(st.sampled_from(["杨长根", "楊長根", "2026-杨长根", "m-yang-cg"]))
    return slug, title, body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=disguised_story())
def test_property_validation_stops_a_disguised_name_in_a_story(registry, story):
    slug, title, body = story
    root = _story_root(registry)
    stories = root / "content/stories"
    for old in stories.glob("*.md"):
        old.unlink()
    (stories / f"{slug}.md").write_text(STORY.format(title=title, body=body), encoding="utf-8")
    problems = [p for p in validate(root).problems if p.code == "private-member"]
    assert problems, story


_ROOTS: dict[int, Path] = {}


def _story_root(registry) -> Path:
    """One registry per test function (Hypothesis runs every example in the same fixture)."""
    key = id(registry)
    if key not in _ROOTS:
        _ROOTS.clear()
        _ROOTS[key] = more(registry)
    return _ROOTS[key]


@pytest.mark.parametrize("name", ["yang-chang-gen.png", f"{PRIVATE_ID}.png", "楊長根.png", "2026_YangChangGen.png"])
def test_validation_reads_the_names_of_asset_files(registry, name):
    from PIL import Image

    root = more(registry)
    (root / "content/assets/photos").mkdir(parents=True)
    Image.new("RGB", (2, 2), "red").save(root / "content/assets/photos" / name)
    problems = [(p.file, p.code) for p in validate(root).problems if p.code == "private-member"]
    assert problems == [(f"content/assets/photos/{name}", "private-member")]


# --- property: one normaliser, two ways (fast for the gate, with positions for messages) ----------

_PIECES = [
    "杨",
    "长",
    "根",
    "楊",
    "長",
    "王东方",
    " ",
    "\n",
    "\t",
    "\u3000",
    "\u200b",
    "\u00ad",
    "<i>",
    "</i>",
    "<p>",
    "<td>",
    "&#26472;",
    "&amp;",
    "&lt;",
    "&nbsp;",
    "%E6%9D%A8",
    "%D1%EE",
    "%",
    "*",
    "_",
    "~",
    "`",
    "\\u957f",
    "\\n",
    "\\",
    "１３９",
    "𝟏",
    "Ａ",
    "ﬁ",
    "a",
    "Z",
    "1",
    "-",
    ".",
    "/",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_property_fast_and_mapped_readings_agree(text):
    """`readings` (the gate) and `mapped` (validation's positions, redaction) are the same normaliser."""
    from dangjian.normalise import mapped, readings

    found = mapped(text)
    assert readings(text) == [reading.text for reading in found]
    for reading in found:
        assert len(reading.starts) == len(reading.text) == len(reading.ends)
        assert all(0 <= a < b <= len(text) for a, b in zip(reading.starts, reading.ends))


# --- the own search index's chunks (djsearch/c/*.gz: each term's bytes, then its binary postings) -------------------


def _own_chunk(terms: list[str], dense: bool = True) -> bytes:
    """A chunk of the own index (`ownsearch`'s format: entries sorted by their terms' UTF-8 bytes, gzip'd), each term
    on many pages (its postings a nibble per page: text-like bytes) or on a few far apart (varints: binary bytes)."""
    from dangjian.site import ownsearch

    postings = [(page, 1 + page % 15) for page in range(0, 2100, 7)] if dense else [(1, 1), (300, 15), (90_000, 2)]
    entries = sorted(terms, key=lambda term: term.encode("utf-8"))
    return gzip.compress(b"".join(ownsearch.encode_entry(term, postings) for term in entries), mtime=0)


@pytest.mark.parametrize(
    "terms",
    [
        ["杨 长", "根"],  # a pair and the next term of the chunk: 杨长 + 根 read across their entries
        ["杨", "长 根"],
        ["王 东", "王 东 方"[2:]],  # 王东 (private, two characters) as a pair of the public 王东方's page
        ["139", "2234", "5678"],  # neighbouring number terms are no mobile number
        ["1391234", "5678"],
        ["139", "22342234", "139 22342234"],  # a pair of 「139，22342234」: the page shows a comma between
    ],
    ids=["pair-then-term", "term-then-pair", "short-name-pair", "numbers-apart", "numbers-apart-2", "number-pair"],
)
@pytest.mark.parametrize("dense", [True, False], ids=["dense", "sparse"])
def test_the_own_index_s_neighbouring_terms_make_no_name_or_number(gate, tmp_path, terms, dense):
    """At a city (200,000 members, 1,000 chunks) the gate read the chunks' bytes as text or binary and found private
    names in them that no page showed: every city build with the own index failed. A chunk is read as its terms,
    each alone: a term is one token or two of a page's text, which is scanned in full where it stands."""
    assert leaks_in(gate, tmp_path, {"djsearch/c/0123456789ab.gz": _own_chunk(terms, dense)}) == []


@pytest.mark.parametrize(
    "term, what",
    [("杨长根", "姓名"), ("楊長根", "姓名"), (MOBILE, "手机号码"), (ID_NUMBER, "身份证号码"), (PRIVATE_ID, "编号")],
    ids=["name", "traditional-name", "mobile", "id-number", "member-id"],
)
def test_a_term_of_the_own_index_holding_a_secret_is_a_leak(gate, tmp_path, term, what):
    """No page's copy makes a term of a whole name (a term is one token or two): an index holding one is a bug."""
    leaks = leaks_in(gate, tmp_path, {"djsearch/c/0123456789ab.gz": _own_chunk(["党", term, "员"])})
    assert [leak.file for leak in leaks][:1] == ["djsearch/c/0123456789ab.gz"] and what in leaks[0].what, leaks


def test_a_file_in_the_chunks_folder_that_is_not_a_chunk_is_read_as_any_file(gate, tmp_path):
    """Only a chunk that parses whole is read as terms: anything else there is read in every encoding, as before."""
    data = gzip.compress("杨长根".encode("gb18030") + b"\xff\x00" * 8)
    assert [leak.file for leak in leaks_in(gate, tmp_path, {"djsearch/c/0123456789ab.gz": data})] == [
        "djsearch/c/0123456789ab.gz"
    ]


# Text a page may show: the public secretary's name (王东方, which holds the private 王东) among the private ones'
# characters, words, numbers and punctuation.
_PAGE_TEXT = st.lists(
    st.sampled_from(
        ["王东方", "王", "东", "方", "杨", "长", "根", "党员", "活动日", "，", "。", " ", "139", "2234", "5678"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_PAGE_TEXT, min_size=1, max_size=6), dense=st.booleans())
@example(texts=["139，22342234"], dense=False)  # a pair across a comma is no telephone number (found by Hypothesis)
@example(texts=["139139139139"], dense=False)  # nor eleven digits of twelve, a prefix (found by Hypothesis)
def test_property_the_own_index_s_terms_of_any_page_make_no_false_alarm(gate, tmp_path_factory, texts, dense):
    """Every term `ownsearch.parse` makes of page texts the gate lets through (tokens, pairs, prefixes), in one
    chunk, with either kind of postings, passes the gate too: the index holds nothing its pages do not show."""
    from hypothesis import assume

    from dangjian.site import ownsearch, search

    assume(all(gate.scan_text(text, "page.html") == [] for text in texts))
    terms = set()
    for text in texts:
        copy = search.simplified_copy(f'<h1 id="dj-title">页</h1><p>{text}</p>')
        terms |= set(ownsearch.parse("x/", copy).terms)
    site = tmp_path_factory.mktemp("chunk")
    assert leaks_in(gate, site, {"djsearch/c/0123456789ab.gz": _own_chunk(sorted(terms), dense)}) == []
