"""The privacy gate: after every build, scan every output file for what must never appear.

Private members' names and ids, national ID numbers and mobile numbers are searched
in each file raw, `\\u`-escaped (JSON) and percent-encoded (URLs). Any hit fails the
build and names the file; the previous site stays in place.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..model import Registry, is_public
from ..personal import find_identifiers

_BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico", ".woff", ".woff2", ".wasm"}
_PAGEFIND_SUFFIXES = {".pf_meta", ".pf_index", ".pf_fragment"}  # gzip-compressed search index files
MIN_NAME_LENGTH = 2  # a one-character name would match everywhere; such names are still never rendered


@dataclass(frozen=True)
class Leak:
    """A forbidden string found in an output file."""

    file: str
    what: str  # a description that does not repeat the secret


def public_names(reg: Registry) -> set[str]:
    """Names the site may show."""
    return {m.get("name", "") for m in reg.members.values() if is_public(m)}


def forbidden_strings(reg: Registry) -> dict[str, str]:
    """Every private member's name and id → a description that does not repeat it."""
    shown = public_names(reg)
    found: dict[str, str] = {}
    for member in reg.members.values():
        if is_public(member):
            continue
        found[member.id] = f"不公开党员的编号（{member.file}）"
        name = member.get("name", "")
        # A private member who shares a public member's name cannot be told apart by name.
        if len(name) >= MIN_NAME_LENGTH and name not in shown:
            found[name] = f"不公开党员的姓名（{member.file}）"
    return found


def _forms(secret: str) -> set[str]:
    escaped = json.dumps(secret)[1:-1]
    ascii_escaped = json.dumps(secret, ensure_ascii=True)[1:-1]
    return {secret, escaped, ascii_escaped, quote(secret), quote(secret, safe="")}


class Gate:
    """Scans files for the forbidden strings of one registry."""

    def __init__(self, reg: Registry) -> None:
        self.secrets = forbidden_strings(reg)
        shown = public_names(reg)
        # A private name inside a longer public one (王东 in 王东方) is no leak where that public name stands.
        self.covering = {s: [p for p in shown if s in p and s != p] for s in self.secrets if not s.isascii()}
        patterns = {form: what for secret, what in self.secrets.items() for form in _forms(secret)}
        self.what = patterns
        self.pattern = re.compile("|".join(re.escape(p) for p in sorted(patterns, key=len, reverse=True))) if patterns else None
        self.id_pattern = re.compile(r"(?<![a-z0-9-])(" + "|".join(re.escape(s) for s in self.secrets if s.isascii()) + r")(?![a-z0-9-])") \
            if any(s.isascii() for s in self.secrets) else None

    def scan_text(self, text: str, file: str) -> list[Leak]:
        """Leaks in one text."""
        leaks = []
        if self.pattern is not None:
            for match in self.pattern.finditer(text):
                secret = match.group()
                if secret.isascii() and not self._whole_id(text, match):
                    continue
                if self._inside_public_name(text, match, secret):
                    continue
                leaks.append(Leak(file, self.what[secret]))
                break
        for _, kind in find_identifiers(text):
            leaks.append(Leak(file, "身份证号码" if kind == "id" else "手机号码"))
            break
        return leaks

    def _inside_public_name(self, text: str, match: re.Match, secret: str) -> bool:
        for name in self.covering.get(secret, ()):
            start = text.rfind(name, max(0, match.end() - len(name)), match.start() + len(name))
            if start != -1 and start <= match.start() and start + len(name) >= match.end():
                return True
        return False

    @staticmethod
    def _whole_id(text: str, match: re.Match) -> bool:
        """An id counts only as a whole token: `m-li` must not match inside `m-lin`."""
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        return not (before.isalnum() or before == "-") and not (after.isalnum() or after == "-")

    def scan_tree(self, root: Path) -> list[Leak]:
        """Leaks in every text file under `root`."""
        leaks = []
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix in _BINARY_SUFFIXES:
                continue
            data = path.read_bytes()
            if path.suffix in _PAGEFIND_SUFFIXES:
                try:
                    data = gzip.decompress(data)
                except (OSError, EOFError):
                    pass
            text = data.decode("utf-8", errors="replace")
            leaks.extend(self.scan_text(text, path.relative_to(root).as_posix()))
        return leaks


    def redact(self, text: str) -> str:
        """`text` with private names and ids replaced by ***, and ID and mobile numbers masked."""
        from ..personal import redact as mask_identifiers

        if self.pattern is not None:
            text = self.pattern.sub(lambda m: m.group() if self._kept(text, m) else "***", text)
        return mask_identifiers(text)

    def _kept(self, text: str, match: re.Match) -> bool:
        secret = match.group()
        return (secret.isascii() and not self._whole_id(text, match)) or self._inside_public_name(text, match, secret)
