"""What made a kept thing: the name of a cache entry that is not the parse cache's is a digest of the code and
the libraries that made it (`made_by`), so another dangjian, another library or another Python reads another entry.

A library is described as it is installed (`library`): its version and the size and modification time of each
file its distribution lists, found without importing it. Its data can change without its version (pypinyin's
dictionaries, OpenCC's tables), and importing pypinyin alone costs 0.1 s.

This module imports nothing of dangjian's but `sourcedigest` (the digests of its own files): the modules that name
their entries with it are imported by the loader, which the cache imports.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from . import sourcedigest

_HERE = Path(__file__).parent


def library(distribution: str) -> str:
    """The installed `distribution`: its version and `file:size:mtime_ns` of each of its files (compiled bytecode
    aside), or `<name> -` when it is not installed."""
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return f"{distribution} -"
    files = []
    for file in sorted(found.files or (), key=str):
        if file.suffix == ".pyc":
            continue  # written by whoever imports it, and not what the library gives
        try:
            info = os.stat(str(found.locate_file(file)), follow_symlinks=False)
        except OSError:
            files.append(f"{file}:-")
            continue
        files.append(f"{file}:{info.st_size}:{info.st_mtime_ns}")
    return f"{distribution} {found.version} " + " ".join(files)


def made_by(modules: Iterable[str], libraries: Iterable[str] = (), *, extra: bytes = b"") -> str:
    """32 hex digits of `extra`, the source of these dangjian modules (paths under the package) and these
    installed libraries (`library`)."""
    digest = hashlib.blake2b(extra, digest_size=16)
    with sourcedigest.remembering():
        for module in modules:
            digest.update(b"\0module " + module.encode() + b"\0" + sourcedigest.digest(_HERE / module))
    for name in libraries:
        digest.update(b"\0library " + library(name).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
