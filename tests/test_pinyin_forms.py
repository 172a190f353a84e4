"""A name's pinyin readings (`private._readings`) are pypinyin's, though most names skip its word cutting.

The fast way reads a name character by character when no two or more consecutive characters of it are a word of
pypinyin's phrase dictionary; a name with such a word goes through `pypinyin.pinyin` whole. Both must give what
`pypinyin.pinyin(name, style=NORMAL, heteronym=True, errors="ignore")` gives, for any name."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin
from pypinyin.constants import PHRASES_DICT

from conftest import REPO
from dangjian import private
import yaml

PHRASES = sorted(itertools.islice((p for p in PHRASES_DICT if 2 <= len(p) <= 4), 0, None, 997))  # a spread of words
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
POLYPHONES = "单解朴仇区查曾乐长重行还都会传觉着了便和大少发银藏种"
OTHERS = "〇㐀䶵豈𠀀𪜀\U0002b740\U00030000"  # 〇, extension A, a compatibility ideograph, extensions B, C, D, G


def pypinyin_readings(name: str) -> list[list[str]]:
    return pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")


names = st.lists(
    st.one_of(
        st.sampled_from(SURNAMES + POLYPHONES + OTHERS),
        st.sampled_from(PHRASES),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    ),
    min_size=1,
    max_size=4,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(names)
def test_a_names_readings_are_pypinyins(name):
    assert private._readings(name) == pypinyin_readings(name)


def test_most_names_skip_the_word_cutting():
    """The fast way is the one taken: 王小明 has no word of the phrase dictionary, 张三丰 does not either, 长江 does."""
    assert not any(w in PHRASES_DICT for w in ("王小", "小明", "王小明"))
    assert "长江" in PHRASES_DICT
    for name in ("王小明", "长江", "单雄信", "曾巩"):
        assert private._readings(name) == pypinyin_readings(name)


def test_every_name_of_the_demo_registry_reads_as_pypinyin_reads_it():
    found = []
    for path in sorted((REPO / "registry" / "members").rglob("*.yaml")):
        for member in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(member, dict) and isinstance(member.get("name"), str):
                found.append(member["name"])
    assert len(found) > 50
    for name in found:
        if name and all(private.is_cjk(c) for c in name):
            assert private._readings(name) == pypinyin_readings(name), name
