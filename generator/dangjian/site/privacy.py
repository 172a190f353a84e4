"""The privacy gate: after every build, scan every output file for what must never appear.

Private members' names and ids, national ID numbers and mobile numbers are searched
in each file raw, `\\u`-escaped (JSON) and percent-encoded (URLs). Any hit fails the
build and names the file; the previous site stays in place.

A scan is a pure function of a file's bytes and of the gate (its secrets, the public
names and this code), so a file found clean is remembered by the hash of both, in the
cache folder outside the registry, and an unchanged file is not scanned again. Large
trees are scanned on every core.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re

import ahocorasick
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..model import Registry, is_public
from ..parallel import fork_pool, fork_workers, shared
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


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _token_char(text: str, index: int) -> bool:
    """Whether the character at `index` (if any) continues an id: letters, digits, `-`, `_`."""
    return 0 <= index < len(text) and (text[index].isascii() and (text[index].isalnum() or text[index] in "-_"))


def decoded_forms(text: str) -> list[str]:
    """The text as written, with `\\u` escapes decoded, and percent-decoded: every form a secret may take."""
    forms = [text]
    if "\\u" in text:
        forms.append(_UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text))
    if "%E" in text or "%e" in text:  # percent-encoded CJK starts %E2..%E9
        forms.append(unquote(text))
    return forms


class Gate:
    """Finds a registry's forbidden strings in text: names anywhere, ids as whole tokens.

    One Aho-Corasick automaton holds every private name and id, so a scan is linear in
    the text whether the registry has five private members or two hundred thousand.
    """

    def __init__(self, reg: Registry) -> None:
        self.secrets = forbidden_strings(reg)
        self.public = public_names(reg)
        self._digest: bytes | None = None
        self.automaton = ahocorasick.Automaton()
        for secret in self.secrets:
            self.automaton.add_word(secret, secret)
        if self.secrets:
            self.automaton.make_automaton()
        # A private name inside a longer public one (王东 in 王东方) is no leak where that public name stands.
        names = {s for s in self.secrets if not s.isascii()}
        self.covering: dict[str, list[str]] = {}
        sizes = {len(n) for n in names}
        for public in self.public:
            for size in sizes:
                for i in range(len(public) - size + 1):
                    part = public[i:i + size]
                    if part != public and part in names:
                        self.covering.setdefault(part, []).append(public)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, secret) of every private name or id in `text` as written."""
        if not self.secrets:
            return []
        found = []
        for last, secret in self.automaton.iter(text):
            start, end = last - len(secret) + 1, last + 1
            if secret.isascii():
                if _token_char(text, start - 1) or _token_char(text, end):
                    continue  # `m-li` inside `m-lin` is another id
            elif self._inside_public_name(text, start, end):
                continue
            found.append((start, end, secret))
        return found

    def _inside_public_name(self, text: str, start: int, end: int) -> bool:
        for name in self.covering.get(text[start:end], ()):
            first = text.rfind(name, max(0, end - len(name)), start + len(name))
            if first != -1 and first <= start and first + len(name) >= end:
                return True
        return False

    def scan_text(self, text: str, file: str) -> list[Leak]:
        """Leaks in one text, in any of its decoded forms (at most one of each kind)."""
        leaks = []
        for form in decoded_forms(text):
            hits = self.find(form)
            if hits:
                leaks.append(Leak(file, self.secrets[hits[0][2]]))
                break
        for form in decoded_forms(text):
            kinds = [kind for _, kind in find_identifiers(form)]
            if kinds:
                leaks.append(Leak(file, "身份证号码" if kinds[0] == "id" else "手机号码"))
                break
        return leaks

    def digest(self) -> bytes:
        """A hash of everything a scan depends on besides the file: secrets, public names, code."""
        if self._digest is None:
            state = hashlib.blake2b(digest_size=16)
            for name in ("privacy.py", "../personal.py"):
                state.update((Path(__file__).parent / name).read_bytes())
            for secret in sorted(self.secrets):
                state.update(secret.encode() + b"\0")
            state.update(b"\1")
            for name in sorted(self.public):
                state.update(name.encode() + b"\0")
            self._digest = state.digest()
        return self._digest

    def scan_file(self, path: Path, rel: str) -> list[Leak]:
        data = path.read_bytes()
        if path.suffix in _PAGEFIND_SUFFIXES:
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                pass
        return self.scan_text(data.decode("utf-8", errors="replace"), rel)

    def scan_tree(self, root: Path, memo: Path | None = None) -> list[Leak]:
        """Leaks in every text file under `root`; files `memo` (a folder) knows clean are skipped."""
        files = [(path, path.relative_to(root).as_posix()) for path in sorted(root.rglob("*"))
                 if path.is_file() and path.suffix not in _BINARY_SUFFIXES]
        clean = _load_clean(memo, self.digest()) if memo else set()
        keys = {rel: self._file_key(path) for path, rel in files} if memo else {}
        todo = [(path, rel) for path, rel in files if keys.get(rel) not in clean]
        leaks = self._scan_all(todo)
        if memo:
            leaking = {leak.file for leak in leaks}
            _save_clean(memo, self.digest(), {keys[rel] for _, rel in files if rel not in leaking})
        return sorted(leaks, key=lambda leak: leak.file)

    def _file_key(self, path: Path) -> str:
        return hashlib.blake2b(path.read_bytes(), digest_size=16, key=self.digest()).hexdigest()

    def _scan_all(self, files: list[tuple[Path, str]]) -> list[Leak]:
        workers = fork_workers(len(files), _PARALLEL_FROM)
        if workers < 2:
            return [leak for path, rel in files for leak in self.scan_file(path, rel)]
        with fork_pool(workers, self) as pool:
            chunks = [files[i::workers * 4] for i in range(workers * 4)]
            return [leak for found in pool.map(_scan_chunk, chunks) for leak in found]

    def redact(self, text: str) -> str:
        """`text` with private names and ids replaced by ***, and ID and mobile numbers masked."""
        from ..personal import redact as mask_identifiers

        for start, end, _ in reversed(self.find(text)):
            text = text[:start] + "***" + text[end:]
        return mask_identifiers(text)


_PARALLEL_FROM = 200  # files; below this a pool costs more than it saves


def _scan_chunk(files: list[tuple[Path, str]]) -> list[Leak]:
    gate: Gate = shared()
    return [leak for path, rel in files for leak in gate.scan_file(path, rel)]


def _memo_file(memo: Path, digest: bytes) -> Path:
    return memo / "gate" / f"{digest.hex()}.clean"


def _load_clean(memo: Path, digest: bytes) -> set[str]:
    try:
        return set(_memo_file(memo, digest).read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return set()


def _save_clean(memo: Path, digest: bytes, clean: set[str]) -> None:
    """Remember clean files for this gate (one list per gate: a new gate starts afresh)."""
    target = _memo_file(memo, digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for other in target.parent.glob("*.clean"):
            if other != target:
                other.unlink(missing_ok=True)
        temp = target.with_suffix(f".tmp{os.getpid()}")
        temp.write_text("\n".join(sorted(clean)), encoding="ascii")
        os.replace(temp, target)
    except OSError:
        pass  # an unwritable cache only costs time
