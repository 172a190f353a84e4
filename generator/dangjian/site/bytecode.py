"""Jinja's compiled templates, kept in dangjian's cache folder between builds.

The site's side of the cache: the registry side (`cache.py`) knows where the folder is
(`cache_dir`), never that templates exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from ..cache import cache_dir, touch

# The modules that configure Jinja environments (autoescape, extensions, filters): compiled code depends on them.
_CONFIGURING = ("build.py", "theme.py")


class _Forgiving(jinja2.FileSystemBytecodeCache):
    """A bytecode cache whose unreadable or unwritable entries only mean compiling again."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache() -> jinja2.BytecodeCache | None:
    """A Jinja bytecode cache in the cache folder, or None when caching is off.

    Jinja checks each entry against its template's source, so an edited template is
    compiled again. Compiled code also depends on how an environment is configured
    (autoescape, extensions), which lives in dangjian's code: the folder is
    named after Jinja's version and the source of the modules that configure environments.
    A folder that cannot be read or written only means templates are compiled again.
    """
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{jinja2.__version__}\0".encode())
    here = Path(__file__).parent
    for name in _CONFIGURING:
        digest.update((here / name).read_bytes())
    where = folder / "templates" / digest.hexdigest()
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    touch(where)  # used now: trim removes the least recently used first
    return _Forgiving(str(where))
