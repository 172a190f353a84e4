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
    """Every record rule, on every record the registry holds in full (stubs were checked when summarised)."""
    for kind in RECORD_RULES:
        if kind in reg.stubs:
            continue
        for record in reg.all(kind):
            yield from record_problems(record)


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
