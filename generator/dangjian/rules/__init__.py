"""Cross-file rules: each a small function of the registry that yields problems.

Per-file rules (encoding, YAML, fields, personal identifiers) run while loading;
these see the whole registry. Add a rule by writing the function in the module of
its record type and listing it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..model import Registry
from ..problems import Problem
from . import assets, identity, members, orgs, references, results, stories

Rule = Callable[[Registry], Iterator[Problem]]

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
    members.joined_date,
    members.grade_for_secretaries,
    members.headcount,
    stories.public_members_only,
    assets.asset_paths,
    results.scheme_indicators,
    results.unique_periods,
    results.result_periods,
    results.result_scores,
    results.result_adjustments,
)
