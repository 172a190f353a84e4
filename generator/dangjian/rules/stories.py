"""Stories and pages name only public members, in any spelling; file names do not spell private names.

Text is read as the privacy gate reads the built site (`dangjian.normalise`): a name
split by Markdown or HTML, zero-width characters, entities, percent-encoding (UTF-8
or GBK) or written in traditional characters is still the name. File names (a story's
or page's slug, the files under content/assets/) are also read for private names'
pinyin (`yang-chang-gen`), since they become addresses.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..load import Record
from ..model import Registry, is_public, reads
from ..normalise import HAN_RANGES
from .. import namespack
from ..private import PrivateNames, spans, split_members
from ..problems import Problem
from ..text import line_col
from ..yamlfile import Path

_CONTENT_KINDS = ("story", "page")
_HINT = "删除它（拆开、加标记、繁体或编码的写法也算），或经本人同意后在 {file} 里写 `public: true`"
_PINYIN_HINT = "换一个文件名：文件名会成为网址，不能用不公开党员的姓名、编号或其拼音"


@reads(member=("name", "public", "posts"))  # is_public reads public and posts
def public_members_only(reg: Registry) -> Iterator[Problem]:
    """Every member a story lists is public; no story or page names a private member in its text or file name;
    no id that becomes an address spells one in pinyin."""
    for story in reg.all("story"):
        for index, member_id in enumerate(story.get("members", [])):
            member = reg.members.get(member_id)
            if member is not None and not is_public(member):
                yield story.problem(
                    ("members", index),
                    f"党员 `{member_id}` 不公开，典型事迹不能提到他/她",
                    f"删除这个编号，或经本人同意后在 {member.file} 里写 `public: true`",
                    "private-member",
                )
    assets = (reg.root / "content/assets").is_dir()
    if not any(reg.all(kind) for kind in _CONTENT_KINDS + _ADDRESSED_KINDS) and not assets:
        return
    names = lazy_names(reg)
    yield from by_file(reg, _CONTENT_KINDS, "stories", named_in_content, names)
    yield from by_slug(reg, _CONTENT_KINDS, names)
    yield from by_id(reg, _ADDRESSED_KINDS, names)
    if assets:
        yield from _named_in_asset_names(reg, names)


class LazyNames:
    """A registry's private names: their key at once (`namespack.key`), their tables (`PrivateNames`) when first
    called for.

    Under `dangjian validate` (`reg.memo`) the key is kept under a digest of the member files' content keys: who
    is private, under which id, name and file, is decided by those files alone, so they are not read again to know
    it while none of them changes; after one changes, a key equal to the last (a birth year edited) keeps every
    file's findings."""

    def __init__(self, reg: Registry) -> None:
        self._registry = weakref.ref(reg)  # not kept alive by the memo of the last registry (`_LAST`)
        self._lists: tuple[list[tuple[str, str, str]], list[str]] | None = None
        self._made: PrivateNames | None = None
        memo = reg.memo
        files = memo.digest("member") if memo is not None else None
        if files is not None:  # and the code deciding who is private (model.is_public) and the key
            from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

            files += f" {code_fingerprint(_MODULES['stories']).hex()} {namespack.code_key()}"
        kept = memo.recall("private-names-key", files) if memo is not None and files is not None else None
        if isinstance(kept, str):
            self.key = kept
            return
        self.key = namespack.key(*self.lists())
        if memo is not None and files is not None:
            memo.remember("private-names-key", files, self.key)

    def __call__(self) -> PrivateNames:
        if self._made is None:
            self._made = PrivateNames(key=self.key, lists=self.lists)
        return self._made

    def lists(self) -> tuple[list[tuple[str, str, str]], list[str]]:
        """The private and public members' (`split_members`), once per registry, when the tables under `key` must be
        made: the rules of stories and notices and the privacy gate all ask this one (`lazy_names`)."""
        if self._lists is None:
            reg = self._registry()
            assert reg is not None, "called for after its registry went"
            self._lists = split_members(reg.members.values(), is_public)
        return self._lists


# The names of the last registry asked about: the rules of stories and notices ask about the same one in a run.
_LAST: tuple[weakref.ref[Registry], LazyNames] | None = None


def lazy_names(reg: Registry) -> LazyNames:
    global _LAST
    if _LAST is None or _LAST[0]() is not reg:
        _LAST = (weakref.ref(reg), LazyNames(reg))
    return _LAST[1]


def by_file(
    reg: Registry,
    kinds: tuple[str, ...],
    rule: str,
    check: Callable[[Record, PrivateNames], Iterable[Problem]],
    names: LazyNames,
) -> Iterator[Problem]:
    """`check` of each record of `kinds` against the private names, file by file: a file whose bytes and the
    private names are as when a run found its problems gets them back (`reg.memo`, `dangjian validate`), and the
    names' tables are only made (or read) when some file is checked again. The memo's scope is the rule, the code
    of this module and of what it imports (`cache.code_fingerprint`), and the names' key."""
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    memo = reg.memo
    scope = f"{rule} {code_fingerprint(_MODULES[rule]).hex()} {names.key}"
    for kind in kinds:
        for file, records in itertools.groupby(reg.all(kind), key=lambda record: record.file):
            found = memo.get(scope, file) if memo is not None else None
            if found is None:
                made = names()
                found = [problem for record in records for problem in check(record, made)] if made.secrets else []
                if memo is not None:
                    memo.put(scope, file, found)
            yield from found


_MODULES = {"stories": "rules/stories.py", "notices": "rules/notices.py"}


def by_id(reg: Registry, kinds: tuple[str, ...], names: LazyNames) -> Iterator[Problem]:
    """Each record of `kinds` whose id becomes an address: no private member's id, name or its pinyin
    (`_in_address`). What is said of a file's records is kept under their ids, in order, not the file's bytes: an
    org renamed, or any field edited but its id, is checked without the names' tables (a city's 30 MB read). The
    memo's scope is the code of this module and what it imports, and the names' key, as `by_file`'s."""
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    memo = reg.memo
    scope = f"stories-ids {code_fingerprint(_MODULES['stories']).hex()} {names.key}"
    for kind in kinds:
        for file, group in itertools.groupby(reg.all(kind), key=lambda record: record.file):
            records = list(group)
            ids = [record.id if isinstance(record.id, str) else None for record in records]
            key = _digest(repr(ids))
            said = memo.get(scope, file, key) if memo is not None else None
            if said is None or len(said) != len(records):
                made = names()
                said = [_in_address(i, made) if i is not None and made.secrets else None for i in ids]
                if memo is not None:
                    memo.put(scope, file, said, key)
            for record, text in zip(records, said):
                if text is not None:
                    yield record.problem(("id",), "编号" + text, _ADDRESS_HINT, "private-member")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def named_in_content(record: Record, names: PrivateNames) -> Iterator[Problem]:
    """A story's, page's or notice's front matter and body name no private member, in any spelling (its file name:
    `by_slug`)."""
    yield from _named_in_front_matter(record, names)
    yield from _named_in_body(record, names)
    yield from _pinyin_in_body(record, names)


def by_slug(reg: Registry, kinds: tuple[str, ...], names: LazyNames) -> Iterator[Problem]:
    """Each record of `kinds` whose file name (its slug) becomes an address: no private member's name, id or its
    pinyin (`_in_address`). What is said is kept under the slug, not the file's bytes, as `by_id` keeps ids: a
    story's text edited is checked without the pinyin table (a city's 0.27 s). Its memo's scope names what `by_id`'s
    does: this module's code and the names' key."""
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    memo = reg.memo
    scope = f"stories-slugs {code_fingerprint(_MODULES['stories']).hex()} {names.key}"
    for kind in kinds:
        for record in reg.all(kind):
            if not record.slug:
                continue
            key = _digest(record.slug)
            said = memo.get(scope, record.file, key) if memo is not None else None
            if said is None or len(said) != 1:
                made = names()
                said = [_in_address(record.slug, made) if made.secrets else None]
                if memo is not None:
                    memo.put(scope, record.file, said, key)
            if said[0] is not None:
                yield _file_name_problem(record.file, said[0])


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _problem(file: str, line: int, column: int, names: PrivateNames, secret: str) -> Problem:
    about = names.secrets[secret]
    return Problem(
        file, line, column, f"这里提到了不公开的党员 `{about.member}`", _HINT.format(file=about.file), "private-member"
    )


def _named_in_front_matter(record: Record, names: PrivateNames) -> Iterator[Problem]:
    for path, text in _strings(record.data, ()):
        if path[:1] == ("members",):
            continue  # listed ids are checked above, with their own message
        secret = names.first_in(text)
        if secret is not None:
            line, column = record.pos(*path)
            yield _problem(record.file, line, column, names, secret)


def _named_in_body(record: Record, names: PrivateNames) -> Iterator[Problem]:
    body = record.body
    if not body or names.first_in(body) is None:
        return
    seen: set[tuple[int, str]] = set()
    for start, _, secret in sorted(spans(names, body)):
        line, column = line_col(body, start)
        member = names.secrets[secret].member
        if (line, member) not in seen:
            seen.add((line, member))
            yield _problem(record.file, record.body_line + line - 1, column, names, secret)


# Runs of Latin text between Chinese characters and Chinese punctuation: pinyin is read within one run,
# never across Chinese words (Li 同志和 Xiaohua). Only names of three characters or more: the pinyin of
# two (li hua, wang fang) is too common in Latin text, as the gate finds for paths.
_LATIN_RUN = re.compile(f"[^\u3000-\u303f{HAN_RANGES}\uff01-\uff0f\uff1a-\uff20]+")
_PINYIN_MIN_CHARACTERS = 3


def _pinyin_in_body(record: Record, names: PrivateNames) -> Iterator[Problem]:
    body = record.body
    if not body or body.isascii() and not any(c.isalpha() for c in body):
        return
    for run in _LATIN_RUN.finditer(body):
        if sum(c.isalpha() for c in run.group()) < 4:
            continue
        secret = names.pinyin_in(run.group())
        if secret is not None and len(secret) >= _PINYIN_MIN_CHARACTERS and names.secrets[secret].kind == "name":
            line, column = line_col(body, run.start())
            about = names.secrets[secret]
            yield Problem(
                record.file,
                record.body_line + line - 1,
                column,
                f"这里像是不公开党员 `{about.member}` 姓名的拼音",
                _HINT.format(file=about.file),
                "private-member",
            )
            return


def _named_in_file_name(file: str, name: str, names: PrivateNames) -> Iterator[Problem]:
    said = _in_address(name, names)
    if said is not None:
        yield _file_name_problem(file, said)


def _file_name_problem(file: str, said: str) -> Problem:
    return Problem(file, 1, 1, "文件名" + said, _PINYIN_HINT, "private-member")


def _in_address(text: str, names: PrivateNames) -> str | None:
    """What a file name or id (a part of an address) shows of a private member, said after its subject: the member's
    name or id written out (looked for first), or its name spelled in pinyin; None for neither."""
    secret = names.first_in(text)
    if secret is not None:
        return f"里有不公开党员 `{names.secrets[secret].member}` 的姓名或编号"
    pinyin = names.pinyin_in(text)
    return None if pinyin is None else f"像是不公开党员 `{names.secrets[pinyin].member}` 姓名的拼音"


# Records whose id is (part of) a page's address: /orgs/ID/, /brands/ID/, /projects/ID/, /rankings/ID/, /venues/ID/.
_ADDRESSED_KINDS = ("org", "brand", "project", "scheme", "venue")
_ADDRESS_HINT = "换一个编号：编号会成为网址，不能用不公开党员的姓名、编号或其拼音"


def _named_in_asset_names(reg: Registry, names: LazyNames) -> Iterator[Problem]:
    """Files under content/assets/ are published under their own names: no private name, id or its pinyin. What
    is found is kept under the names walked (`reg.memo`) and the names' key: the same files, no tables read."""
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    top = reg.root / "content" / "assets"
    walked: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(top):  # links are not followed
        dirs.sort()
        walked += [
            ((reg.root.joinpath(folder, entry)).relative_to(reg.root).as_posix(), entry)
            for entry in sorted(files) + dirs
        ]
    memo = reg.memo
    name = f"stories-assets {code_fingerprint(_MODULES['stories']).hex()} {names.key}"
    inputs = _digest(repr(walked))
    kept = memo.recall(name, inputs) if memo is not None else None
    if isinstance(kept, list):
        yield from kept
        return
    made = names()
    found = (
        [problem for rel, entry in walked for problem in _named_in_file_name(rel, entry, made)] if made.secrets else []
    )
    if memo is not None:
        memo.remember(name, inputs, found)
    yield from found
