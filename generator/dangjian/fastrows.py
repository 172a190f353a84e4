"""Ledger files in their plain shape, read without a YAML parser: a city's million points entries.

A ledger file is a list of entries, and nearly every one is written the way `dangjian fmt`, the web editor and the
importers write it: `- member: ID`, `  date: YYYY-MM-DD`, `  rule: ID` and maybe `  note: …` in plain words. A file
made only of such entries, each id and date valid, yields records without a problem; the reference path (YAML, the
schema, the scan for personal numbers) takes 12 microseconds an entry to say so, this one regular expression a file.

`rows` answers only when it can prove that answer is the reference's: every character of the text belongs to an entry
of that exact shape (so no comment, quote, tab, blank line or sign YAML reads as anything; ids of `[a-z0-9-]`, notes
of Han characters, ASCII letters and digits, common full-width punctuation and single spaces; a final line break),
every value is one YAML 1.1 reads as text and the schema accepts, every date is a real one, no id holds eleven digits
(the fewest a mobile or ID number has: `personal.scan_text` could find nothing in the lines but the notes) and the
notes, scanned alone, hold no number either. Anything else goes the reference way. `tests/test_fastrows.py` holds the
two paths equal over generated files, shapes that must be declined among them.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .normalise import HAN_UNIFIED_BMP
from .personal import scan_text
from .recordtypes import RecordType
from .schema import MAX_ID_LENGTH
from .yamlfile import YamlDoc, yaml11_type

_ID = f"[a-z0-9][a-z0-9-]{{0,{MAX_ID_LENGTH - 1}}}"
# A note in plain words: Han characters, ASCII letters and digits, the usual full-width punctuation, single spaces
# between (no colon, hash, quote, bracket or other sign YAML or the scans for hidden numbers read as anything).
_WORD = f"{HAN_UNIFIED_BMP}A-Za-z0-9（），。、；！？《》“”‘’—…·"
_NOTE = f"[{_WORD}](?:[{_WORD} ]*[{_WORD}])?"
_ENTRY = re.compile(
    f"- member: ({_ID})\n  date: ([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})\n  rule: ({_ID})\n(?:  note: ({_NOTE})\n)?"
)
_FIXED = len("- member: \n  date: \n  rule: \n") + 10  # an entry's length but its two ids (and its note)
_NOTED = len("  note: \n")
# Eleven digits within one id, lowercase letters or dashes between them: what a personal number needs (a superset),
# found with the letters and dashes taken out (one pass in C; a pattern skipping them took a third of the time).
_ELEVEN = re.compile(rb"[0-9]{11}")
_BETWEEN = b"abcdefghijklmnopqrstuvwxyz-"
# Ids whose first letter YAML 1.1 may read as something else (`yes`, `no`, `on`, `off`, `true`, `null`…) or that are
# numbers: `yaml11_type` decides those.
_MAYBE_NOT_TEXT = frozenset("0123456789ynotfYNOTF")
_DATES: dict[str, datetime.date] = {}


def rows(text: str, path: str, record_type: RecordType) -> list[tuple[Any, ...]] | None:
    """The records of a ledger file in its plain shape (`text`: decoded, line breaks normalised, no problem found so
    far), each as the reference path converts it, in the plain entry's row that `load.records_from_rows` takes (`(file,
    doc, position, member, date, rule, note or None)`); or None: the reference path takes the file."""
    if record_type.kind != "ledger" or not text.endswith("\n"):
        return None
    if _ELEVEN.search(text.encode("utf-8", "surrogatepass").translate(None, _BETWEEN)):
        return None
    entries = _ENTRY.findall(text)
    written = sum(len(member) + len(rule) + (_NOTED + len(note) if note else 0) for member, _, rule, note in entries)
    if not entries or written + _FIXED * len(entries) != len(text):
        return None  # matches that do not tile the text: something between or around them
    notes = [note for _, _, _, note in entries if note]
    if notes and next(scan_text("\n\n".join(notes), path), None) is not None:
        return None  # a number in a note (the reference says where)
    doc = YamlDoc(path)
    doc.compact(text)
    dates, made = _DATES, list[tuple[Any, ...]]()
    # A file's ids held once however often they recur (a member's entries are often together in one file, the rules
    # are a handful): a city holds a million entries, and these are kept shared through the parse cache's pickles
    # (each object pickled once, then referred to).
    same: dict[str, str] = {}
    for at, (member, day, rule, note) in enumerate(entries):
        member, rule = same.setdefault(member, member), same.setdefault(rule, rule)
        date = dates.get(day)
        if date is None:
            try:
                date = datetime.date.fromisoformat(day)
            except ValueError:
                return None  # not a real day: the schema says so
            if len(dates) < 100_000:
                dates[day] = date
        for value in (member, rule, note) if note else (member, rule):
            if value[0] in _MAYBE_NOT_TEXT and yaml11_type(value) != "str":
                return None
        made.append((path, doc, at, member, date, rule, note or None))
    return made
