"""Cross-file rules: each a small function of the registry that yields problems.

Per-file rules (encoding, YAML, fields, personal identifiers) run while loading;
these see the whole registry. Add a rule by writing the function in the module of
its record type and listing it here: in `ALL_RULES` when it reads other records,
in `RECORD_RULES` when it reads one record alone. A rule in `ALL_RULES` that reads
fields of another kind's records declares them, `@reads(member=("name", "org"))`
(`model.reads`; ids need no declaring): tests/test_summary_reads.py fails on a field
read but not declared. Record rules also run on the bulk files `dangjian validate`
only summarises (see `summary.py`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from ..load import Record
from ..model import Registry
from ..problems import Problem
from . import assets, identity, members, orgs, references, results, stories
from . import honours
from . import notes
from . import history
from . import notices
from . import plans
from . import tags

Rule = Callable[[Registry], Iterator[Problem]]
RecordRule = Callable[[Record], Iterator[Problem]]

RECORD_RULES: dict[str, tuple[RecordRule, ...]] = {
    "member": (
        members.joined_date,
        members.grade_for_secretaries,
        history.member_history,
        history.member_matches_history,
    ),
    "activity": (members.headcount, plans.planned_not_attended),
    "org": (plans.recurring_plans,),
    "honour": (honours.one_recipient, honours.date_in_year),
    "notice": (notices.until_not_before_date, notices.body_required),
}


def record_problems(record: Record) -> Iterator[Problem]:
    """The record rules' problems with one record."""
    for rule in RECORD_RULES.get(record.kind, ()):
        yield from rule(record)


def record_rules(reg: Registry) -> Iterator[Problem]:
    """Every record rule, on every record the registry holds in full (stubs were checked when summarised).

    A record rule reads its record alone: under a memo (`model.FileMemo`) a file's problems are kept under its
    content key and the rules' code, and a file whose bytes did not change is not checked again."""
    memo = reg.memo
    scope = f"record-rules {_rules_code()}" if memo is not None else ""
    for kind in RECORD_RULES:
        if kind in reg.stubs:
            continue
        if memo is None:
            for record in reg.all(kind):
                yield from record_problems(record)
            continue
        for file, records in itertools.groupby(reg.all(kind), key=lambda record: record.file):
            found = memo.get(scope, file)
            if found is None:
                found = [problem for record in records for problem in record_problems(record)]
                memo.put(scope, file, found)
            yield from found


def _rules_code() -> str:
    """The code of the rules (this package, and what it imports)."""
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    return code_fingerprint("rules/__init__.py").hex()


ALL_RULES: tuple[Rule, ...] = (
    identity.required_files,
    identity.unique_ids,
    identity.unique_points_rules,
    identity.star_thresholds,
    references.references_resolve,
    orgs.root_org,
    orgs.parents,
    orgs.org_cycles,
    orgs.brand_cycles,
    orgs.secretary_holds_post,
    orgs.benchmark_pairing,
    orgs.dates_in_order,
    record_rules,
    stories.public_members_only,
    tags.declared_tags_only,
    assets.asset_paths,
    results.scheme_indicators,
    results.unique_periods,
    results.result_periods,
    results.result_scores,
    results.result_adjustments,
    honours.years_fit_orgs,
    honours.years_fit_members,
    honours.unique_honours,
    notes.scored_members_only,
    notes.not_before_joining,
    history.history_orgs_exist,
    history.attended_in_party,
    history.org_history,
    notices.audience_under_sender,
    notices.public_members_only,
)
