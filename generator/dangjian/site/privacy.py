"""The privacy gate: after every build, scan every output file and path for what must never appear.

Private members' names and ids, national ID numbers and mobile numbers are searched in
every reading of each file's text and of its path that `dangjian.normalise` gives
(markup stripped and kept; entities, `\\u` escapes and percent-encoding as UTF-8 and
GB18030 decoded; invisible characters removed; NFKC, 繁→简), and private names of
three syllables or more as pinyin in paths. Every file is read, whatever its name:
compressed files (gzip, zip, Pagefind's index, PDF streams) are decompressed, text in any of
UTF-8, GB18030 and UTF-16 is read as text, and a binary file's bytes are read too (its
PNG text chunks and JPEG metadata segments as text, the rest as UTF-8, Latin-1, UTF-16
and GB18030). A file that cannot be read is a failure, as is a link. Any hit fails
the build and names the file; the previous site stays in place.

A scan is a pure function of a file's path and bytes and of the gate (its secrets, the
public names and this code), so a file found clean is remembered by the hash of both, in
the cache folder outside the registry, and an unchanged file is not scanned again. A file
whose bytes the build knows (a page it wrote or carried over: its `incremental.Identity`
and digest) is not even read when it is still that file and was found clean by a gate with
the same secrets; every other file is read once, and scanned from the bytes read.
Within a page, the parts found clean alone (the theme's pieces, chunks of a few lines: see
`Gate._clean_in_pieces`) are remembered too, by the same memo: a page rebuilt with one line
changed is read for that line's chunk. Large trees are scanned on every core.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import io
import os
import re
import stat
import struct
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from .. import private
from ..cache import RACY_NS, Sealed
from ..files import NotRegularFile, gunzip, read_regular
from ..model import Registry
from ..rules.stories import lazy_names
from ..normalise import pieces, readings, sealed
from ..parallel import fork_pool, fork_workers, renew_after, shared
from ..personal import NUMBER_NAMES, all_matches, in_binary_reading, in_reading
from . import ownsearch
from .incremental import Identity, bytes_digest, identity

MAX_EXPANDED = 256 * 1024 * 1024  # bytes a compressed file may expand to before it is refused unread
MAX_DEPTH = 4  # compressed files inside compressed files
_GATE_PINYIN_SYLLABLES = 3  # two-syllable pinyin is too often an ordinary word (validation checks those)
_BINARY_NAME_LENGTH = 3  # in random bytes read as GB18030/UTF-16, two-character names occur by chance


@dataclass(frozen=True)
class Leak:
    """A forbidden string found in an output file or its path."""

    file: str
    what: str  # a description that does not repeat the secret


def _number_leak(file: str, kinds: list[str], where: str = "") -> Leak:
    """The leak of the first personal number found (`kinds` as `personal.in_reading` gives them)."""
    return Leak(file, where + NUMBER_NAMES[kinds[0]])


class Gate:
    """Finds a registry's secrets in output: names anywhere, ids as whole tokens, personal numbers."""

    def __init__(self, reg: Registry) -> None:
        names = lazy_names(reg)  # the key validation has (or recalls), and the members split only if need be
        self.names = private.PrivateNames(min_syllables=_GATE_PINYIN_SYLLABLES, key=names.key, lists=names.lists)
        self.secrets = self.names.secrets
        self.public = self.names.public
        self._digest: bytes | None = None
        self._raw: ahocorasick.Automaton | None = None
        # Digests of the parts of pages found clean alone (`_clean_in_pieces`: pieces and chunks of pieces), keyed
        # by the gate's digest: those its memo kept (`scan_tree`) and those found since; `_learned`, the ones the
        # file being read found; `_pieces_met`, pieces met once in this run, read with their neighbours.
        self._clean_parts: set[bytes] = set()
        self._learned: list[bytes] = []
        self._pieces_met: set[bytes] = set()
        self._clean_files: set[str] = set()  # the memo's keys of files found clean (`scan_tree`)
        self._kept = _Memo(set(), {}, set(), {})  # what the memo knew when `scan_part` began (`_path_known`)
        self.files = 0  # files (anything but a folder) the last `scan_tree` found

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, secret) of every private name or id in a normalised reading."""
        return self.names.find(text)

    def scan_text(self, text: str, file: str, short_names: bool = True) -> list[Leak]:
        """Leaks in one text, in any of its readings (at most one of each kind)."""
        return self._scan_readings(readings(text), file, short_names)

    def _scan_readings(
        self,
        texts: list[str],
        file: str,
        short_names: bool = True,
        where: str = "",
        binary: bool = False,
        numbers: bool = True,
    ) -> list[Leak]:
        """At most one name (or id) leak and one number leak found in `texts`, the readings of one text."""
        name: Leak | None = None
        number: Leak | None = None
        for text in texts:
            if name is None:
                hits = [h for h in self.find(text) if short_names or h[2].isascii() or len(h[2]) >= _BINARY_NAME_LENGTH]
                if hits:
                    name = Leak(file, where + self.secrets[hits[0][2]].describe())
            if numbers and number is None:
                kinds = in_binary_reading(text) if binary else in_reading(text)
                if kinds:
                    number = _number_leak(file, kinds, where)
        return [leak for leak in (name, number) if leak is not None]

    def _clean_in_pieces(self, text: str) -> bool:
        """Whether a page is clean, read in parts (`normalise.pieces`): most of a page is its theme, the same
        on every page, and a piece found clean once is not read again. A piece is read alone the second time
        it is met (then remembered); the pieces in between, met once so far, are read together, in chunks
        (`_clean_run`) that the memo keeps for the next builds. False when the page may not be cut, or a part is
        not clean or not sealed: then the page is read whole, as any other text, and what is found is reported
        as before."""
        cut = pieces(text)
        if cut is None or not cut[1]:
            return False
        base, cuts = cut
        bounds = [0, *cuts, len(base)]
        run = -1  # where the pieces met for the first time begin, if any
        ends: list[int] = []  # where a chunk of them ends (`_chunk_ends`)
        secret, clean, met = self.digest(), self._clean_parts, self._pieces_met
        datas = [base[start:end].encode("utf-8", "surrogatepass") for start, end in zip(bounds, bounds[1:])]
        keys = [hashlib.blake2b(data, digest_size=16, key=secret).digest() for data in datas]
        # A piece met twice on this page is read alone the first time: the page is cut the same way in every build.
        met.update(key for key, count in Counter(keys).items() if count > 1)
        for start, end, data, key in zip(bounds, bounds[1:], datas, keys):
            if key in clean:
                if run >= 0 and not self._clean_run(base, run, start, ends):
                    return False
                run = -1
            elif key in met:
                if run >= 0 and not self._clean_run(base, run, start, ends):
                    return False
                run = -1
                if not self._clean_part(base[start:end]):
                    return False
                clean.add(key)
                self._learned.append(key)
            else:
                met.add(key)
                if run < 0:
                    run, ends = start, []
                if _chunk_ends(data):
                    ends.append(end)
        return run < 0 or self._clean_run(base, run, len(base), ends)

    def _clean_run(self, base: str, start: int, end: int, ends: list[int]) -> bool:
        """Whether `base[start:end]`, pieces met once so far, is clean: read in chunks that end at `ends` (pieces
        whose bytes say so, `_chunk_ends`: the same pieces after the same start make the same chunks in every
        build, so a page rebuilt with a line changed reads that line's chunk alone), each skipped when found clean
        before, in this build or (by the gate's memo) an earlier one with the same secrets."""
        key, clean = self.digest(), self._clean_parts
        for stop in [*ends, end] if not ends or ends[-1] != end else ends:
            chunk = base[start:stop]
            digest = hashlib.blake2b(chunk.encode("utf-8", "surrogatepass"), digest_size=16, key=key).digest()
            if digest not in clean:
                if not self._clean_part(chunk):
                    return False
                clean.add(digest)
                self._learned.append(digest)
            start = stop
        return True

    def _clean_part(self, part: str) -> bool:
        """Whether a part of a page cut by `normalise.pieces` is clean in every reading, and sealed."""
        texts = readings(part)
        return sealed(texts[0]) and not self._scan_readings(texts, "")

    def scan_path(self, rel: str) -> list[Leak]:
        """Leaks in an output path (its folder and file names, percent-decoded), pinyin included."""
        leaks = self._scan_readings(readings(rel), rel, where="路径里有")
        if not any("姓名" in leak.what or "编号" in leak.what for leak in leaks):
            for reading in readings(rel):
                secret = self.names.pinyin_in(reading)
                if secret is not None:
                    leaks.insert(0, Leak(rel, f"路径里有{self.secrets[secret].describe()}的拼音"))
                    break
        return leaks

    def digest(self) -> bytes:
        """A hash of everything a scan depends on besides the file: secrets, public names, code."""
        if self._digest is None:
            state = hashlib.blake2b(digest_size=16)
            here = Path(__file__).parent
            for path in (
                here / "privacy.py",
                here.parent / "personal.py",
                here.parent / "normalise.py",
                here.parent / "private.py",
            ):
                state.update(path.read_bytes())
            # the secrets and public names through the key of all that decides them (the members' lists and the
            # code making the tables: `namespack.key`), not each of them (sorting and hashing a city's 200,000
            # names took 0.19 s of every build)
            state.update(b"\1" + self.names.key.encode())
            self._digest = state.digest()
        return self._digest

    def scan_file(self, path: Path, rel: str) -> list[Leak]:
        """Leaks in one output file: its path and every reading of its bytes."""
        data, unread = _read_file(path, rel)
        return self.scan_path(rel) + (unread or self.scan_bytes(data, rel))

    def scan_bytes(self, data: bytes, rel: str, depth: int = 0) -> list[Leak]:
        """Leaks in a file's bytes: decompressed, decoded as text, or read as binary."""
        if data[:2] == b"\x1f\x8b":
            if depth >= MAX_DEPTH:
                return [Leak(rel, "压缩层数过多，隐私检查无法确认其内容")]
            try:
                expanded = gunzip(data, MAX_EXPANDED)
            except (OSError, ValueError) as err:
                return [Leak(rel, f"无法解压（{err}），隐私检查无法确认其内容")]
            return self.scan_bytes(expanded, rel, depth + 1)
        if data[:4] == b"PK\x03\x04":
            if depth >= MAX_DEPTH:
                return [Leak(rel, "压缩层数过多，隐私检查无法确认其内容")]
            try:
                return self._scan_zip(data, rel, depth)
            except (OSError, EOFError, zlib.error, ValueError, zipfile.BadZipFile, NotImplementedError) as err:
                return [Leak(rel, f"无法解压（{err}），隐私检查无法确认其内容")]
        terms = _own_chunk_terms(data, rel) if depth == 1 else None
        if terms is not None:
            return self._scan_own_terms(terms, rel)
        text = _as_text(data)
        if text is not None:
            if rel.endswith(".html") and self._clean_in_pieces(text):
                return []
            return self.scan_text(text, rel) + (self._scan_urls(text, rel) if rel.endswith(".xml") else [])
        leaks: list[Leak] = []
        for blob in _metadata(data):  # small parts that carry text: read in every encoding, short names too
            if blob[:2] == b"\x1f\x8b" or _as_text(blob) is not None:
                leaks += self.scan_bytes(blob, rel, depth + 1) if depth < MAX_DEPTH else []
            else:
                leaks += self._scan_binary(blob, rel, short_names=True)
        if not leaks:
            if data.startswith(_IMAGES):
                leaks = self._scan_raw(data, rel)
            else:
                leaks = self._scan_binary(data, rel, short_names=False)
        return leaks[:2]

    def _scan_own_terms(self, terms: list[str], rel: str) -> list[Leak]:
        """Leaks in the terms of a chunk of the own search index, each term read alone: a term is one token of a
        page's text or two that follow each other there (a Latin word, a number or its prefix, a Han character, a
        pair), so a name of three characters or more, an id or a number in one is a bug of the index. A pair may
        hold a two-character name that the page shows inside a longer public one (王东 in 王东方): the page's text
        is scanned in full where it stands, so here, as in bulk binary bytes, only longer names count. For the same
        reason a pair's numbers are read one token at a time: 139 and 22342234 pair across the comma of
        「139，22342234」, which no reader takes for a telephone number, and the page's scan did not."""
        names = self._scan_readings(readings("。".join(terms)), rel, short_names=False, numbers=False)
        numbers = [
            leak
            for term in terms
            if _DIGIT.search(term)
            for token in term.split(" ")
            for leak in self._numbers_in(token, rel)
        ][:1]
        return names + numbers

    def _numbers_in(self, term: str, rel: str) -> list[Leak]:
        kinds = in_reading(term)
        return [_number_leak(rel, kinds)] if kinds else []

    def _scan_raw(self, data: bytes, rel: str) -> list[Leak]:
        """Leaks in an image's compressed pixels: the bytes of each private name as UTF-8, each id
        and number as ASCII (a name there is no text a reader sees, and reading megabytes of
        photographs in every encoding would find names by chance and take minutes at a city)."""
        text = data.decode("latin-1")
        automaton = self._raw_automaton()
        leaks = []
        if len(automaton):
            for last, secret in automaton.iter(text):
                start, end = last - len(secret.encode("utf-8")) + 1, last + 1
                if secret.isascii() and (_ascii_word(text, start - 1) or _ascii_word(text, end)):
                    continue
                leaks.append(Leak(rel, self.secrets[secret].describe()))
                break
        kinds = in_binary_reading(text)
        if kinds:
            leaks.append(_number_leak(rel, kinds))
        return leaks

    def _raw_automaton(self) -> ahocorasick.Automaton:
        if self._raw is None:
            self._raw = ahocorasick.Automaton()
            for secret in self.secrets:
                self._raw.add_word(secret.encode("utf-8").decode("latin-1"), secret)
            if self.secrets:
                self._raw.make_automaton()
        return self._raw

    def _scan_urls(self, text: str, rel: str) -> list[Leak]:
        """Pinyin of private names in the addresses a sitemap or feed lists (which may point anywhere)."""
        for url in set(_URL.findall(text)):
            for reading in readings(url):
                secret = self.names.pinyin_in(reading)
                if secret is not None:
                    return [Leak(rel, f"网址里有{self.secrets[secret].describe()}的拼音")]
        return []

    def _scan_zip(self, data: bytes, rel: str, depth: int) -> list[Leak]:
        """Leaks in a zip archive's member names and contents (an .xlsx, a .docx, a .zip)."""
        leaks: list[Leak] = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_EXPANDED:
                raise ValueError("解压后过大")
            for member in members:
                leaks += self._scan_readings(readings(member.filename), rel, where="压缩包里的文件名有")
                with archive.open(member) as handle:
                    leaks += self.scan_bytes(handle.read(MAX_EXPANDED + 1), rel, depth + 1)
        return leaks[:2]

    def _scan_binary(self, data: bytes, rel: str, short_names: bool) -> list[Leak]:
        """Leaks in bytes that are not text, read in each encoding a name or number may hide in.

        Numbers are looked for where ASCII digits stay apart from their neighbours (Latin-1,
        UTF-16): UTF-8 and GB18030 with errors ignored join digits across dropped bytes. In
        long random bytes read as GB18030 or UTF-16, two-character names occur by chance:
        there only longer names count, unless `short_names` (a small metadata part).
        """
        plan: tuple[tuple[str, int, bool, bool], ...] = (
            ("utf-8", 0, True, False),
            ("latin-1", 0, True, True),
            ("gb18030", 0, short_names, False),
            ("gb18030", 1, short_names, False),
            ("utf-16-le", 0, short_names, True),
            ("utf-16-le", 1, short_names, True),
            ("utf-16-be", 0, short_names, True),
        )
        if data.startswith(_PAGEFIND):
            # Pagefind's own encoding is UTF-8, and its words are the pages' words, scanned as text for
            # names and numbers: digits of neighbouring words in its index are no number any page shows.
            plan = (("utf-8", 0, True, False), ("latin-1", 0, True, False))
        for encoding, shift, short, numbers in plan:
            dense = encoding not in ("utf-8", "latin-1")
            text = data[shift:].decode(encoding, "ignore")
            leaks = self._scan_readings(
                readings(text, dense, markup=short_names),
                rel,
                short,
                binary=not short_names,
                numbers=numbers and short_names,
            )
            if numbers and not short_names and not leaks:
                # Bulk bytes: digits as they stand. Folding makes digits of ¹ ² ³ ¼ and drops the
                # control bytes that keep real digits apart from their random neighbours.
                kinds = in_binary_reading(text)
                leaks = [_number_leak(rel, kinds)] if kinds else []
            if leaks:
                return leaks
        return []

    def scan_tree(
        self,
        root: Path,
        memo: Path | None = None,
        known: Mapping[str, tuple[Identity, str]] | None = None,
        keep: Callable[[str], bool] | None = None,
        later: list[Callable[[], None]] | None = None,
    ) -> list[Leak]:
        """Leaks in every file and path under `root`; files `memo` (a folder) knows clean are skipped.

        `known` gives, for files the build wrote or checked (a path under `root` → the file's identity and the
        digest of its bytes), what the memo's key needs without reading: such a file, still that file (its
        `lstat` now), whose key the memo knows clean, is not read. The key covers the gate's `digest()` (its
        secrets: a member turned private makes every file read again). Any other file is read once.

        The memo is then what this scan found; with `keep`, also what it knew of each path not under `root` now that
        `keep` accepts (a scan of a part of a site, or of a site whose own search index is made later). With `later`,
        the memo is written by the work appended to it, left to the caller (`serve`: after the page is shown); until
        then the memo is the last scan's, and this gate must scan nothing else.

        In three steps, for a site scanned in parts at the same time (`recall`, then `scan_part` of each part, in
        any process, then `remember` of them all: one memo, as of one scan of the whole)."""
        kept = self.recall(memo)
        part = self.scan_part(root, kept, known if memo else None)
        if memo and later is not None:
            later.append(lambda: self.remember(memo, kept, [part], keep))
        elif memo:
            self.remember(memo, kept, [part], keep)
        return part.leaks

    def recall(self, memo: Path | None) -> _Memo:
        """What the memo in the folder `memo` knows (None: nothing), which `scan_part` then skips."""
        kept = _load_memo(memo, self.digest()) if memo else _Memo(set(), {}, set(), {})
        self._clean_files = kept.clean
        self._clean_parts |= kept.parts
        return kept

    def scan_part(self, root: Path, kept: _Memo, known: Mapping[str, tuple[Identity, str]] | None) -> ScannedPart:
        """The leaks in every file and path under `root` (a site, or a folder laid out as a part of one: its paths
        are the site's), the files `kept` (`recall`) or `known` say are clean skipped; with what `remember` needs."""
        seen = time.time_ns()  # before any file is looked at
        self._kept = kept
        files, empty = _walk(os.fspath(root))
        self.files = len(files)
        leaks = [leak for rel in empty for leak in self.scan_path(rel + "/")]
        clean = kept.clean
        keys: dict[str, str] = {}  # the memo's key of each file read or known
        marks: dict[str, Identity] = {}  # the identity of each file as it was walked
        todo: list[tuple[Path, str]] = []
        for rel, path, info in files:
            if not stat.S_ISREG(info.st_mode):  # a link (never followed), a device, a pipe: refused unread
                leaks += self.scan_path(rel) + [_not_regular(rel)]
                continue
            marks[rel] = now = identity(info)
            settled = kept.settled.get(rel)
            if settled is not None and settled[0] == now and settled[1] in clean:
                keys[rel] = settled[1]  # the file found clean by an earlier scan, unchanged since (asked first: no
                continue  # key to compute, where a rebuild's known files are mostly the pages carried over)
            mark = known.get(rel) if known else None
            if mark is not None and now == tuple(mark[0]):
                key = self._file_key(rel, mark[1])
                if key in clean:
                    keys[rel] = key
                    continue
            todo.append((Path(path), rel))
        learned: set[bytes] = set()
        for rel, read_key, found, new_parts in self._scan_all(todo):
            leaks += found
            learned.update(new_parts)
            if read_key is not None:
                keys[rel] = read_key
        walked = [rel for rel, _, _ in files]
        return ScannedPart(sorted(leaks, key=lambda leak: leak.file), len(files), walked, keys, marks, seen, learned)

    def remember(
        self, memo: Path, kept: _Memo, parts: list[ScannedPart], keep: Callable[[str], bool] | None = None
    ) -> None:
        """Keep in the memo what the scans of `parts` found clean (and, with `keep`, what `kept` knew of each path
        they did not walk that `keep` accepts); the parts of pages learned in another process too."""
        for part in parts:
            self._clean_parts |= part.learned
        leaking = {leak.file for part in parts for leak in part.leaks}
        settled_now: dict[str, tuple[Identity, str]] = {}
        racy_now: dict[str, str] = {}
        keys_now: set[str] = set()
        for part in parts:
            for rel, key in part.keys.items():
                if rel in leaking:
                    continue
                keys_now.add(key)
                if part.seen - part.marks[rel][3] >= RACY_NS:
                    settled_now[rel] = (part.marks[rel], key)
                else:
                    racy_now[rel] = key
        if keep is not None:
            walked = {rel for part in parts for rel in part.walked}
            for rel, entry in kept.settled.items():
                if rel not in walked and entry[1] in kept.clean and keep(rel):
                    settled_now[rel] = entry
                    keys_now.add(entry[1])
            # and the keys of files found clean but not yet settled (just written): the build's scan and the
            # preview's index scan each keep the other's, or the pages a save rendered are read again at the next
            for rel, key in kept.racy.items():
                if rel not in walked and key in kept.clean and keep(rel):
                    racy_now[rel] = key
                    keys_now.add(key)
        learned = set().union(*(part.learned for part in parts))
        kept_parts = self._clean_parts if len(self._clean_parts) <= _PARTS_MOST else learned
        _save_memo(memo, self.digest(), _Memo(keys_now, settled_now, kept_parts, racy_now))

    def _file_key(self, rel: str, digest: str) -> str:
        """The memo's key of the file at `rel` whose bytes have `digest` (`incremental.bytes_digest`)."""
        return hashlib.blake2b(f"{rel}\0{digest}".encode(), digest_size=16, key=self.digest()).hexdigest()

    def _check_file(self, path: Path, rel: str) -> _Checked:
        """One file read once: its memo key (None: not read), its leaks (none when the memo knows it clean) and the
        parts of its text found clean that were not known (`_clean_in_pieces`)."""
        data, unread = _read_file(path, rel)
        if unread:
            return rel, None, self.scan_path(rel) + unread, []
        key = self._file_key(rel, bytes_digest(data))
        if key in self._clean_files:
            return rel, key, [], []
        self._learned = []
        leaks = ([] if self._path_known(rel) else self.scan_path(rel)) + self.scan_bytes(data, rel)
        return rel, key, leaks, self._learned

    def _path_known(self, rel: str) -> bool:
        """Whether a file at `rel` was found clean by an earlier scan (the memo is this gate's: the same secrets,
        public names and code), and so its path: a page rendered again at the same address is read, its path not
        checked again (which asks for the pinyin table: a city's 0.27 s)."""
        settled, racy = self._kept.settled.get(rel), self._kept.racy.get(rel)
        return (settled is not None and settled[1] in self._kept.clean) or (
            racy is not None and racy in self._kept.clean
        )

    def _scan_all(self, files: list[tuple[Path, str]]) -> list[_Checked]:
        workers = fork_workers(len(files), _PARALLEL_FROM)
        if workers < 2:  # the pinyin table and the images' automaton made if a file asks (0.3 s at city)
            return [self._check_file(path, rel) for path, rel in files]
        self.names.pinyin_table()  # made once here, not in every worker
        self._raw_automaton()
        # Parts of about `_PART_FILES` files (spread through the site: each as costly as the next), a worker renewed
        # every `RENEW_ITEMS` files: what it learned clean (digests) and copied of this process goes with it.
        count = max(workers * 4, -(-len(files) // _PART_FILES))
        with fork_pool(workers, self, renew=renew_after(_PART_FILES)) as pool:
            parts = [files[i::count] for i in range(count)]
            # What the workers found clean is not kept: a scan of this many files reads a whole site (a cold build,
            # a new secret), whose every part would make the memo large (400,000 at city: 0.1 s to read and write
            # at every rebuild) for pages most rebuilds never write again; the parts kept are those of rebuilds.
            return [
                (rel, key, leaks, [])
                for found in pool.map(_scan_chunk, parts, chunksize=1)
                for rel, key, leaks, _ in found
            ]

    def redact(self, text: str) -> str:
        """`text` with private names and ids replaced by ***, and ID and mobile numbers masked, in every reading.

        Bidi controls go first: a commit message is no registry file, nothing refused a raw U+202E
        there, and `U+202E 花小李` is shown as 李小花 while every reading drops the override."""
        text = _BIDI_CONTROLS.sub("", text)
        cuts = [(start, end, "***") for start, end, _ in private.spans(self.names, text)]
        cuts += [(start, end, "*" * (end - start)) for _, start, end in all_matches(text)]
        merged: list[list] = []
        for start, end, mask in sorted(cuts):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
                continue
            merged.append([start, end, mask])
        for start, end, mask in reversed(merged):
            text = text[:start] + mask + text[end:]
        return text


_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_URL = re.compile(r"https?://[^\s<>\"']+")


def _ascii_word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and (text[index].isalnum() or text[index] == "-")


_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"GIF87a", b"GIF89a", b"RIFF")
_DIGIT = re.compile(r"\d")
_OWN_CHUNK = f"{ownsearch.FOLDER}/c/"


def _own_chunk_terms(data: bytes, rel: str) -> list[str] | None:
    """The terms of a chunk of the own search index (`ownsearch`: `djsearch/c/<name>.gz`, unpacked), or None when
    `data` is not one that parses whole (then it is read as any other file)."""
    if not rel.startswith(_OWN_CHUNK):
        return None
    try:
        return list(ownsearch.chunk_entries(data))
    except (IndexError, UnicodeDecodeError, ValueError):
        return None


_PAGEFIND = b"pagefind_dcd"  # the header of Pagefind's index, metadata and WebAssembly files, once decompressed
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")


def _as_text(data: bytes) -> str | None:
    """The file as text when it is text in UTF-8, UTF-16 (with a BOM) or GB18030; None for binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or not _CONTROL.search(text):
            return text
    return None


_STREAM = re.compile(rb"stream\r?\n")


def _metadata(data: bytes) -> list[bytes]:
    """The parts of a binary file that carry text: PNG text chunks, JPEG segments, zlib streams (PDF)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_chunks(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_segments(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _riff_chunks(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return [data[data.rfind(b"\x3b") + 1 :]] if b"\x3b" in data else []  # bytes after the trailer
    found = []
    for match in _STREAM.finditer(data):
        try:
            inflater = zlib.decompressobj()
            found.append(inflater.decompress(data[match.end() :], MAX_EXPANDED))
        except zlib.error:
            continue
    return found


def _png_chunks(data: bytes) -> list[bytes]:
    found, offset = [], 8
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if kind not in (b"IDAT", b"IHDR", b"PLTE", b"IEND"):
            found.append(body)
            if kind in (b"zTXt", b"iTXt", b"iCCP"):
                found += _inflated_tails(body)
        offset += 12 + length
        if kind == b"IEND":
            break
    return found + [data[offset:]]  # and whatever follows the end


def _inflated_tails(body: bytes) -> list[bytes]:
    """Compressed text after a chunk's keyword (zTXt, iTXt): try each place a zlib stream may start."""
    found = []
    for start in range(body.find(b"\0") + 1, min(len(body), body.find(b"\0") + 80)):
        if body[start : start + 1] == b"\x78":
            try:
                found.append(zlib.decompressobj().decompress(body[start:], MAX_EXPANDED))
                break
            except zlib.error:
                continue
    return found


def _jpeg_segments(data: bytes) -> list[bytes]:
    found, offset = [], 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: the rest is image data
            break
        length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        found.append(data[offset + 4 : offset + 2 + length])
        offset += 2 + length
    end = data.find(b"\xff\xd9", offset)  # markers are byte-stuffed in the scan: the first end is the end
    return found + ([data[end + 2 :]] if end != -1 else [])


def _riff_chunks(data: bytes) -> list[bytes]:
    """A WebP's chunks other than its pixels (EXIF, XMP, unknown ones), and what follows the file."""
    found, offset, size = [], 12, struct.unpack("<I", data[4:8])[0] + 8
    while offset + 8 <= min(size, len(data)):
        kind, length = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        if kind not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            found.append(data[offset + 8 : offset + 8 + length])
        offset += 8 + length + (length & 1)
    return found + [data[size:]]


_PARALLEL_FROM = 200  # files; below this a pool costs more than it saves
_PART_FILES = 1000  # files a worker is sent at a time (`Gate._scan_all`)

# A page's pieces met once (`Gate._clean_run`) are read in chunks of about `_CHUNK_EVERY` pieces: fewer and each
# read costs more calls than the text it reads, more and a rebuilt page's unchanged lines are read again with the
# changed one. The memo keeps the parts found clean by scans of fewer than `_PARALLEL_FROM` files (rebuilds: the
# pages an editor is changing), at most `_PARTS_MOST` (16 bytes each): past that, only those the last scan found.
_CHUNK_EVERY = 16
_PARTS_MOST = 1 << 21


def _chunk_ends(piece: bytes) -> bool:
    """Whether a chunk ends after `piece`: by its bytes alone (a checksum), so the same pieces end the same chunks
    on every page and in every build."""
    return zlib.crc32(piece) % _CHUNK_EVERY == 0


_Checked = tuple[str, str | None, list[Leak], list[bytes]]  # a file's path, memo key, leaks, parts found clean


def _scan_chunk(files: list[tuple[Path, str]]) -> list[_Checked]:
    gate: Gate = shared()
    return [gate._check_file(path, rel) for path, rel in files]


class _NotRegular(Exception):
    """A link, a folder met as a file, a device or a pipe: never read."""


def _not_regular(rel: str) -> Leak:
    return Leak(rel, "是链接或特殊文件，不是普通文件：隐私检查无法确认其内容")


def _read_file(path: Path, rel: str) -> tuple[bytes, list[Leak]]:
    """A file's bytes, or why they could not be read (as the leak that fails the build)."""
    try:
        return _read_regular(path), []
    except _NotRegular:
        return b"", [_not_regular(rel)]
    except OSError as err:
        return b"", [Leak(rel, f"无法读取（{err.strerror or err}），隐私检查无法确认其内容")]


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, opened without following a link (never a pipe or a device)."""
    try:
        return read_regular(path)
    except NotRegularFile:
        raise _NotRegular() from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _NotRegular() from None
        raise


def _walk(root: str) -> tuple[list[tuple[str, str, os.stat_result]], list[str]]:
    """Every entry under `root` that is not a folder (links included, never followed), as (path from `root`, path,
    its lstat), and the folders that hold nothing (their names are read with no file's); both sorted."""
    files: list[tuple[str, str, os.stat_result]] = []
    empty: list[str] = []
    folders = [("", root)]
    while folders:
        rel, path = folders.pop()
        count = 0
        with os.scandir(path) as entries:
            for entry in entries:
                count += 1
                name = f"{rel}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.append((name + "/", entry.path))
                else:
                    files.append((name, entry.path, entry.stat(follow_symlinks=False)))
        if not count and rel:
            empty.append(rel[:-1])
    files.sort(key=lambda file: file[0])
    return files, sorted(empty)


# The gate's memo, one per gate (its secrets' digest: a new private name starts afresh), kept in the cache folder:
# the keys of the files it found clean (a key digests the file's path and bytes with the secrets), and for each file
# its identity when it was found clean. A file whose identity is still that one is not read again (the search index
# carried over, the exports and assets of a rebuild): the rule the pages' carrier follows (`incremental.Identity`),
# and git's for a racily clean file: only a file whose last change came at least `RACY_NS` before the scan looked at
# it is taken as settled, so a change within the same tick of a coarse clock is never missed.
MEMO = Sealed("gate", b"dangjian-gate 3", 1 << 28)  # 3: the keys of files not yet settled, by path


@dataclass
class ScannedPart:
    """What `Gate.scan_part` found under one folder: its leaks and files, and for the memo (`Gate.remember`) each
    clean file's key, the identity it had, when the scan began and the parts of pages it learned clean."""

    leaks: list[Leak]
    files: int
    walked: list[str]
    keys: dict[str, str]
    marks: dict[str, Identity]
    seen: int
    learned: set[bytes]


@dataclass
class _Memo:
    clean: set[str]  # the keys of files found clean
    settled: dict[str, tuple[Identity, str]]  # path under the site -> (its identity, its key) when found clean
    parts: set[bytes]  # the digests of parts of pages found clean alone (`Gate._clean_in_pieces`)
    racy: dict[str, str]  # path under the site -> its key, found clean but not settled (changed within RACY_NS)


def _memo_name(digest: bytes) -> str:
    return f"{digest.hex()}.clean"


def _load_memo(memo: Path, digest: bytes) -> _Memo:
    found = MEMO.read(memo, _memo_name(digest))
    if isinstance(found, tuple) and len(found) == 4 and isinstance(found[0], set) and isinstance(found[1], dict):
        parts, racy = found[2], found[3]
        if isinstance(parts, bytes) and len(parts) % 16 == 0 and isinstance(racy, dict):
            return _Memo(found[0], found[1], {parts[at : at + 16] for at in range(0, len(parts), 16)}, racy)
    return _Memo(set(), {}, set(), {})


def _save_memo(memo: Path, digest: bytes, kept: _Memo) -> None:
    """Remember clean files for this gate (one memo per gate: a new gate starts afresh)."""
    target = MEMO.path(memo, _memo_name(digest))
    try:
        if target.parent.is_dir():
            for other in target.parent.glob("*.clean"):
                if other != target:
                    other.unlink(missing_ok=True)
        MEMO.write(memo, _memo_name(digest), (kept.clean, kept.settled, b"".join(kept.parts), kept.racy))
    except OSError:
        pass  # an unwritable cache only costs time
