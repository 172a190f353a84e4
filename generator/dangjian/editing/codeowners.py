"""`dangjian codeowners`: a CODEOWNERS file from each org's `maintainers:` (issue 19, review per organization).

A file of the registry belongs to an org when its records say so: an org's own file, the rosters,
activities and projects whose records name it in `org:`, the ledgers whose entries' members belong to
it, the brands it `owner:`s, the stories whose `org:` is it, and the ranking schemes (and their results)
whose `scope:` is it. A file whose records belong to several orgs belongs to the lowest org above them
all; a file naming no org (site.yaml, the rulebook, free pages, assets) belongs to the root. Its
reviewers are the `maintainers:` of that org or, when it lists none, of the nearest org above it that
does; the root's maintainers own `*`.

Each file is named on a line of its own, so a file has exactly one set of reviewers on every forge:
GitHub and GitLab take the last matching line (after `*`); Gitea applies *every* matching rule, so
there the root's rule is a negative one that leaves out the files listed below it. Forge user names
(`@li-clerk`, `@xianwei/xinan`) are the only people named: never a member's name or any personal data.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Registry
from ..recordtypes import MAINTAINER_DOC, MAINTAINER_PATTERN, RECORD_TYPES
from ..schema import ID_PATTERN, FieldType, Ref


FORGES = ("github", "gitlab", "gitea")
MARK = "# dangjian codeowners"  # the first line of every file written here: only such a file is replaced
DEFAULT_OUT = "CODEOWNERS"  # at the repository's root: read by all three forges (GitHub reads .github/ first)
# Where each forge looks before the root: a file there would be read instead of ours.
_READ_FIRST = {"github": (".github/CODEOWNERS",), "gitlab": (), "gitea": ()}

_MAINTAINER = re.compile(MAINTAINER_PATTERN)
_ID = re.compile(ID_PATTERN)
# What a pattern escapes with `\`: gitignore's wildcards and brackets (GitHub wants `[` and `]` escaped),
# GitLab's braces, the comment sign, the space that separates owners, and `\` itself.
_GLOB_SPECIAL = frozenset("\\ #*?[]{}!")
_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")  # Go's regexp.QuoteMeta
_GITEA_TOKEN_SPECIAL = frozenset("\\ #")  # Gitea's CODEOWNERS tokenizer: `\` escapes, ` ` splits, `#` ends


class CodeownersError(Exception):
    """The registry holds a value no CODEOWNERS line may carry (it was not validated); the message is Chinese."""


@dataclass(frozen=True)
class Codeowners:
    """The text of a CODEOWNERS file, and the files it could not name (left to the root's reviewers)."""

    text: str
    skipped: tuple[str, ...] = ()
    reviewed: bool = True  # False when no org lists maintainers: the file then asks nobody


def codeowners(registry: Registry, forge: str = "github") -> Codeowners:
    """The CODEOWNERS text for `forge` from the orgs' `maintainers:`, deterministic for the same registry."""
    if forge not in FORGES:
        raise CodeownersError(f"不认识的代码托管平台 `{forge}`：应是 {'、'.join(FORGES)} 之一")
    if registry.stubs:  # `validate(full=False)` holds no ledger entries: their files would go to the root
        raise CodeownersError("需要完整读入的登记簿（validate(root)），而不是只有摘要的登记簿")
    root = _root_id(registry)
    owners = {org_id: _maintainers(registry, org_id) for org_id in sorted(registry.orgs)}
    top = owners.get(root, ()) if root else ()
    sections: dict[str, list[str]] = {}
    skipped: list[str] = []
    for path, org_id in sorted(file_orgs(registry).items()):
        reviewer = reviewing_org(registry, org_id, owners) if org_id else None
        if reviewer is None or owners[reviewer] == top:
            continue  # the root's line (`*`) already asks them
        if not nameable(path):
            skipped.append(path)
            continue
        sections.setdefault(reviewer, []).append(path)
    lines = _header(forge)
    listed = [path for paths in sections.values() for path in paths]
    if top:
        lines += ["", "# 其余文件：最上级组织的审核人", _root_rule(forge, listed, top)]
    for reviewer in sorted(sections):
        lines += ["", f"# {_comment(registry, reviewer)}"]
        lines += [f"{_pattern(forge, path)} {' '.join(owners[reviewer])}" for path in sections[reviewer]]
    return Codeowners("\n".join(lines) + "\n", tuple(skipped), reviewed=any(owners.values()))


def file_orgs(registry: Registry) -> dict[str, str | None]:
    """Each record file (relative path) and the org it belongs to; None: the root's (no org, or not known)."""
    named: dict[str, set[str | None]] = {}
    for kind, records in registry.records.items():
        for record in records:
            named.setdefault(record.file, set()).add(_org_of(registry, kind, record.data))
    return {path: _lowest_common(registry, orgs) for path, orgs in named.items()}


def reviewing_org(registry: Registry, org_id: str, owners: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The org whose maintainers review `org_id`'s files: itself, or the nearest org above it with maintainers."""
    for candidate in ancestors(registry, org_id):
        found = owners[candidate] if owners is not None and candidate in owners else _maintainers(registry, candidate)
        if found:
            return candidate
    return None


def ancestors(registry: Registry, org_id: str) -> list[str]:
    """`org_id`, its parent, and so on up to the top (a cycle, which validation refuses, stops the walk)."""
    chain: list[str] = []
    current: str | None = org_id
    while current is not None and current in registry.orgs and current not in chain:
        chain.append(current)
        current = registry.orgs[current].get("parent")
    return chain


def nameable(path: str) -> bool:
    """Whether a CODEOWNERS line can name `path` exactly on every forge.

    Line breaks, other control and format characters (a bidi override would show reviewers another
    name), and spaces other than the ASCII one (which lines escape) cannot be written unambiguously."""
    for char in path:
        category = unicodedata.category(char)
        if category[0] == "C" or (category[0] == "Z" and char != " "):
            return False
    return bool(path) and not path.startswith("/")


def glob_pattern(path: str) -> str:
    """The GitHub/GitLab pattern naming exactly `path` (relative to the repository's root)."""
    return "/" + "".join(f"\\{char}" if char in _GLOB_SPECIAL else char for char in path)


def gitea_pattern(path: str) -> str:
    """The Gitea rule naming exactly `path`: a Go regular expression (Gitea anchors it), escaped for its tokenizer."""
    return _gitea_token("".join(f"\\{char}" if char in _REGEX_SPECIAL else char for char in path))


def refuse_out(out: Path) -> str | None:
    """Why `out` must not be written (a link, not a file, or a CODEOWNERS written by hand), or None."""
    if os.path.islink(out):
        return f"{out} 是符号链接：为免写到别处，请给出一个普通文件"
    if not os.path.lexists(out):
        return None
    if not stat.S_ISREG(os.lstat(out).st_mode):
        return f"{out} 不是普通文件"
    with open(out, "rb") as existing:
        first = existing.read(len(MARK.encode("utf-8")))
    if first != MARK.encode("utf-8"):
        return f"{out} 已经存在，而且不是 dangjian codeowners 生成的：为免覆盖手写的规则，请先把它移走或改名"
    return None


def read_first(root: Path, forge: str) -> str | None:
    """A CODEOWNERS file the forge reads before the one at the root, if the repository has one."""
    return next((rel for rel in _READ_FIRST.get(forge, ()) if os.path.lexists(root / rel)), None)


def write(out: Path, text: str) -> None:
    """Write `text` to `out` atomically (a temporary file in the same folder, then a rename)."""
    reason = refuse_out(out)
    if reason:
        raise CodeownersError(reason)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)


def default_forge(registry: Registry) -> str:
    """The forge `site.yaml`'s `cms.backend` names, else GitHub."""
    site = registry.settings
    cms = site.get("cms") if site is not None else None
    backend = cms.get("backend") if isinstance(cms, dict) else None
    return backend if backend in FORGES else "github"


# --- which org a record belongs to ---------------------------------------------------------------


def _org_of(registry: Registry, kind: str, data: dict[str, Any], seen: frozenset[str] = frozenset()) -> str | None:
    """The org one record belongs to, or None (the root's), read from the declarations (recordtypes.py).

    An org's file is the org's own. A kind kept in one fixed file (site.yaml, the rulebook) is the whole
    registry's. Another kind's record belongs to the org its first field referring to an org names (a
    member's, project's… `org`, a brand's `owner`, a scheme's `scope`); a kind with no such field, to the
    org of the record its first reference names (a ledger entry: its member's; a result: its scheme's)."""
    record_type = RECORD_TYPES.get(kind)
    if record_type is None or record_type.fixed_path is not None:
        return None
    if kind == "org":
        return _text(data.get("id"))
    org_fields = [spec.name for spec in record_type.schema.fields if _refers_to(spec.type, "org")]
    if org_fields:
        return _text(data.get(org_fields[0]))
    for spec in record_type.schema.fields:
        target = spec.type.kind if isinstance(spec.type, Ref) else None
        if target not in RECORD_TYPES or target in seen or target == kind:
            continue
        referenced = registry.ids(target).get(_text(data.get(spec.name)) or "")
        return _org_of(registry, target, referenced.data, seen | {kind}) if referenced is not None else None
    return None  # pages, and any kind referring to nothing: the whole registry's


def _refers_to(field_type: FieldType, kind: str) -> bool:
    return isinstance(field_type, Ref) and field_type.kind == kind


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _lowest_common(registry: Registry, orgs: Iterable[str | None]) -> str | None:
    """The lowest org that is (or is above) every org of `orgs`; None when one is None or unknown."""
    chains = []
    for org_id in sorted(orgs, key=lambda o: o or ""):
        if org_id is None or org_id not in registry.orgs:
            return None
        chains.append(ancestors(registry, org_id))
    if not chains:
        return None
    shared = set(chains[0]).intersection(*chains[1:])
    return next((org_id for org_id in chains[0] if org_id in shared), None)


# --- the text --------------------------------------------------------------------------------------


def _maintainers(registry: Registry, org_id: str) -> tuple[str, ...]:
    """An org's maintainers, each checked again: the function may be handed a registry never validated."""
    if not _ID.fullmatch(org_id):
        raise CodeownersError(f"组织编号 `{shown(org_id)}` 不符合格式：先运行 dangjian validate")
    found = registry.orgs[org_id].get("maintainers") or []
    if not isinstance(found, list):
        raise CodeownersError(f"组织 {org_id} 的 maintainers 应是列表：先运行 dangjian validate")
    for name in found:
        if not (isinstance(name, str) and _MAINTAINER.fullmatch(name)):
            raise CodeownersError(
                f"组织 {org_id} 的审核人 `{shown(str(name))}` 不符合格式（{MAINTAINER_DOC}）：先运行 dangjian validate"
            )
    return tuple(dict.fromkeys(f"@{name.removeprefix('@')}" for name in found))


def _root_id(registry: Registry) -> str | None:
    site = registry.settings
    root = site.get("root") if site is not None else None
    return root if isinstance(root, str) and root in registry.orgs else None


def _header(forge: str) -> list[str]:
    return [
        f"{MARK}（{forge} 的写法）：由 registry/orgs/ 里各组织的 maintainers 生成。",
        "# 不要手工修改：改了组织的 maintainers 之后，重新运行 dangjian codeowners。",
        "# 每个文件只由一个组织的审核人审核：它所属组织的，或者往上最近一个写了 maintainers 的组织的。",
    ]


def _root_rule(forge: str, listed: list[str], top: tuple[str, ...]) -> str:
    if forge != "gitea":
        return f"* {' '.join(top)}"
    if not listed:
        return f".* {' '.join(top)}"
    # Gitea asks every matching rule's owners: the root's rule matches only the files no line below names.
    alternatives = "|".join("".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in path) for path in listed)
    return f"{_gitea_token(f'!(?:{alternatives})')} {' '.join(top)}"


def _pattern(forge: str, path: str) -> str:
    return gitea_pattern(path) if forge == "gitea" else glob_pattern(path)


def _gitea_token(regex: str) -> str:
    return "".join(f"\\{char}" if char in _GITEA_TOKEN_SPECIAL else char for char in regex)


def _comment(registry: Registry, org_id: str) -> str:
    """`溪南村党支部（caota-xinan）的审核人`, on one line whatever the name holds."""
    name = registry.orgs[org_id].get("name")
    title = shown(name) if isinstance(name, str) else ""
    return f"{title}（{org_id}）的审核人" if title else f"{org_id} 的审核人"


def shown(text: str) -> str:
    """`text` on one line: control, format and separator characters (but the space) become `?`."""
    return "".join(
        "?" if unicodedata.category(c)[0] == "C" or (unicodedata.category(c)[0] == "Z" and c != " ") else c
        for c in text
    )
