"""CPU of writing the export tables (`exports.table_files`: each row's JSON and CSV, the parts), every table of the
site, with each row's JSON as `exports._json_items` writes it and as `json.dumps(indent=1)` alone would.

    DANGJIAN_CACHE=... .venv/bin/python bench/export_tables.py ROOT [RUNS]

Validation and the tables' rows (`kind.export`) are made once, outside the timings. Prints the median CPU seconds
(process time) over RUNS runs of each way, the rows, and whether both give the same bytes. Figures only: nothing here
is asserted.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from dangjian.site import exports, kinds
from dangjian.site.build import build_date
from dangjian.site.data import SiteData
from dangjian.validate import LAZY_KINDS, validate


def _indented(rows: Any) -> list[bytes]:
    return [json.dumps([row], ensure_ascii=False, indent=1)[2:-2].encode() for row in rows]


def main() -> None:
    root = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data = SiteData(validate(root, lazy=LAZY_KINDS).registry, build_date())
    tables = {name: rows for kind in kinds.KINDS if kind.export is not None for name, rows in kind.export(data).items()}
    rows = sum(len(table) for table in tables.values())
    made: dict[str, dict[str, dict[str, bytes]]] = {}
    times: dict[str, list[float]] = {"exports._json_items": [], "json.dumps(indent=1)": []}
    real = exports._json_items
    for _ in range(runs):
        for way, items in (("exports._json_items", real), ("json.dumps(indent=1)", _indented)):
            exports._json_items = items  # type: ignore[assignment]
            start = time.process_time()
            made[way] = {name: exports.table_files(name, table) for name, table in tables.items()}
            times[way].append(time.process_time() - start)
    exports._json_items = real
    same = made["exports._json_items"] == made["json.dumps(indent=1)"]
    print(f"{len(tables)} tables, {rows} rows; the same bytes: {same}")
    for way, taken in times.items():
        print(f"  {way}: {statistics.median(taken):.3f} s CPU (median of {runs})")


if __name__ == "__main__":
    main()
