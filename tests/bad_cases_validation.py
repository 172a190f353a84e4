"""Bad cases of the validation path (merged into tests/test_bad_cases.py).

`validation-member-typo`: a ledger (a bulk file, summarised by `dangjian validate`) names a member id
close to others': the hint lists them, reading their names, orgs and privacy from the members' stubs
(tests/test_summary_reads.py checks the references rule declared those fields).
"""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "validation-member-typo": [
        ("registry/points/ledger/east-2026.yaml", 1, 11, "找不到党员 `m-east-secc`"),
    ],
}
