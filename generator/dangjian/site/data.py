"""What the site may show, computed once from the registry: indexes, figures, public people.

Privacy by construction: page templates receive only what this module hands them.
A private member is never handed over: `person()` returns None for them, and every
list of people here is filtered through it.
"""

from __future__ import annotations

import dataclasses
import datetime
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

from ..load import Record
from ..model import Registry, is_public
from ..parts import Parts
from ..rankings import MEMBERS, Ranking, RankingBook, named
from ..rolls import Rolls
from ..scores import ScoreBook
from ..recordtypes import MEMBER_STATUSES
from ..stats import HOME, OrgStats, StatsBook, figure_table
from ..suppression import THRESHOLD, Outcome, Table, suppress
from . import incremental, kept, keptparts, kinds
from .kinds import member as member_kind, project as project_kind, story as story_kind
from .kinds.base import ident
from .withheld import Small, Withheld, hidden, shown_count

T = TypeVar("T")

HOME_LOCKED = False  # the home page's figures come from home_figures(): suppression may withhold them too

# The figures, their suppression and the rankings read these kinds and org fields and nothing else (`kept`): an
# edit of anything else (a story, a brand, a notice, an org's summary…) keeps them as the last build computed them.
COUNTED = kept.Aggregate("counted", kept.COUNTING, fields=kept.COUNTING_FIELDS)
# …but the results, which only the rankings read: the figures and their suppression read of the rankings only which
# orgs' average scores each one shows (`SiteData.ranked`). Kept under these files and the digest of those, they are
# taken again after a result edited ranks the same orgs in the same periods, and only the rankings are computed
# (`kept.value_apart`: a city's 1.2 s of every such rebuild).
COUNTED_APART = kept.Aggregate("countedapart", kept.COUNTING - {"result"}, fields=kept.COUNTING_FIELDS)
# Each org's figures as published and its ranks (`SiteData.org_figures`), made from what the counting reads.
ORG_FIGURES = kept.Aggregate("orgfigures", kept.COUNTING, fields=kept.COUNTING_FIELDS)


# Every public member as the site shows one (`SiteData.public_members`) reads of members what is shown of one and
# whether they are public: a city's 200,000 members sorted and asked took 0.4 s of every rebuild that lists them (a
# points entry: the member pages' part); and the site's settings, as every site's data reads them.
PUBLIC_MEMBERS = kept.Aggregate("publicmembers", frozenset({"member", "site"}), fields=kept.MEMBERS_NAMED)


# What grouping a kind's records by what they link to reads (`SiteData.linked_of`): that kind's records, in the order
# its kind module lists them, what that order reads besides (a venue's, the depth of its org in the tree), and the
# site's settings (every site's data reads them).
# Orgs are read field by field (by id, under their brand; the tree, as every registry reads it): an org's summary or
# name edited keeps the grouping.
_LISTED_BESIDES: dict[str, tuple[frozenset[str], dict[str, tuple[str, ...]]]] = {
    "venue": (frozenset({"org"}), {"org": ("parent",)}),
    "org": (frozenset(), {"org": ("parent", "brand")}),
}


def linked_aggregate(kind: kinds.SiteKind, link: str) -> kept.Aggregate:
    """What `SiteData.linked_of` reads of the registry for `kind`'s records linked under `link`."""
    besides, fields = _LISTED_BESIDES.get(kind.name, (frozenset(), {}))
    return kept.Aggregate(f"linked{link}{kind.name}", frozenset({kind.record or "", "site"}) | besides, fields=fields)


@dataclass
class Counted:
    """What the site counts over members, computed together (each part needs the one before): every org's stats
    as counted, the rankings as computed (never shown as they are), the figure table and what suppression lets
    through of it."""

    org_stats: dict[str, OrgStats]
    histories: dict[str, list[Ranking]]
    figures: Table
    disclosure: Outcome


Apart = tuple[dict[str, OrgStats], Table, Outcome]  # what `Counted` holds but the rankings (`count_apart`)
Ranked = tuple[tuple[str, tuple, datetime.date], ...]  # `SiteData.ranked`


def _counted(histories: dict[str, list[Ranking]], apart: Apart) -> Counted:
    org_stats, figures, disclosure = apart
    return Counted(org_stats, histories, figures, disclosure)


NAMES = "orgnames"  # the global an org's name is read of, wherever a page shows an `OrgView` (`incremental.note_read`)


def _shown_form(view: OrgView) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What an `OrgView` is digested as in a page's context: its id and shown fields but its name, which a page
    rendering it notes as a lookup where it reads it (`incremental.note_read`)."""
    return view.id, tuple((n, v) for n, v in view._fields.items() if n != "name")


@incremental.digested_as(_shown_form)
class OrgView(Mapping):
    """What the page of another record shows of an org: its id and the fields `kept.ORG_SHOWN` names, read as a
    record is (`org.id`, `org.data.name`, `org["kind"]`), so that such a page reads nothing else of the org and a kind
    showing orgs declares those fields only (an org's summary edited leaves its pages as they were).

    Its name is read as a lookup of the global `NAMES`, not as part of the page's context: the context's digest leaves
    it out (`_shown_form`), and every read of it while a page renders is noted (`incremental.note_read`); the build
    keeps every org's name with the manifest (`OrgNames`), and a page that read a name which changed is rendered
    again. A kind whose pages show orgs only so (their addresses, titles, descriptions and contexts made
    without reading a name: `kept.ORG_VIEWED`) keeps its pages when an org is renamed; the pages that show that org
    are rendered again (tests/test_kept.py edits the names such kinds do not declare)."""

    __slots__ = ("id", "_fields")

    def __init__(self, org_id: str, fields: dict[str, Any]) -> None:
        self.id = org_id
        self._fields = fields

    @property
    def data(self) -> OrgView:
        return self

    def _named(self) -> None:
        incremental.note_read(NAMES, self.id)

    @property
    def name(self) -> Any:
        """Its name (`view.data.name` in a template finds it here, without a failed attribute lookup first)."""
        self._named()
        try:
            return self._fields["name"]
        except KeyError:
            raise AttributeError("name") from None  # a template then finds none, as of a dict

    def __getitem__(self, name: str) -> Any:
        if name == "name":
            self._named()
        return self._fields[name]

    def __contains__(self, name: object) -> bool:
        if name == "name":
            self._named()
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        self._named()
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __bool__(self) -> bool:  # an org shown, whatever fields it has
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrgView):
            return NotImplemented
        self._named()
        other._named()
        return self.id == other.id and self._fields == other._fields

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        self._named()
        return f"OrgView({self.id!r}, {self._fields!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Never kept: an aggregate's key does not read the names its view would hold (`kept._dumps` keeps no value
        # holding one). Made again from the registry at every build.
        raise TypeError("an org's view is made by each build, never kept")


class _ByOrg(Mapping):
    """A value for every org, by id (its keys are the orgs')."""

    def __init__(self, orgs: Mapping[str, Record]) -> None:
        self._orgs = orgs

    def __contains__(self, org_id: object) -> bool:
        return org_id in self._orgs

    def __iter__(self) -> Iterator[str]:
        return iter(self._orgs)

    def __len__(self) -> int:
        return len(self._orgs)


class OrgNames(_ByOrg):
    """Every org's name by id (None where it has none): the global `NAMES`, kept with the manifest (`incremental`'s
    tables) and compared with the next build's."""

    def __getitem__(self, org_id: str) -> Any:
        return self._orgs[org_id].data.get("name")


class OrgViews(_ByOrg):
    """Every org's `OrgView` by id, each made when first asked for (the templates' `orgs`)."""

    def __init__(self, orgs: Mapping[str, Record]) -> None:
        super().__init__(orgs)
        self._made: dict[str, OrgView] = {}

    def __getitem__(self, org_id: str) -> OrgView:
        view = self._made.get(org_id)
        if view is None:
            record = self._orgs[org_id]
            data = record.data
            view = self._made[org_id] = OrgView(org_id, {n: data[n] for n in kept.ORG_SHOWN if n in data})
        return view


@dataclass(frozen=True)
class Person:
    """A public member as the site may show them."""

    id: str
    name: str
    org: str | None
    posts: tuple[str, ...]
    grade: str | None


class SiteData:
    """The registry's public face: everything pages read, computed lazily and once.

    What is private or suppressed is decided here (people, figures, rankings as published); what
    belongs to one kind of record (its order, what it links to, its progress…) is decided in its
    module under `kinds/`, and reached here through `listed` and `linked` (and a few named shortcuts).
    """

    def __init__(self, reg: Registry, today: datetime.date, *, reuse: bool = False) -> None:
        """`reuse`: take what the last build kept of the aggregates that declare what they read (`kept`)."""
        self.reg = reg
        self.today = today
        self.reuse = reuse
        self.settings = reg.settings.data if reg.settings is not None else {}  # registry/site.yaml
        self._listed: dict[str, list[Record]] = {}
        self._memo: dict[str, Any] = {}

    # --- records of each kind -------------------------------------------------------------
    def listed(self, record_kind: str) -> list[Record]:
        """Every record of a kind, in the order its kind module lists them (computed once)."""
        if record_kind not in self._listed:
            order = kinds.of_record(record_kind).listed
            if order is None:
                raise KeyError(f"the site lists no {record_kind!r} records in an order of their own")
            self._listed[record_kind] = order(self.reg)
        return self._listed[record_kind]

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """What `compute` returns, computed once per site under `key` (a kind module's index: "notice.reaching")."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def linked(self, link: str) -> dict[str, dict[str, list[Record]]]:
        """id → {kind's plural: its records that link to that id under `link` ("org", "brand", "member")},
        over every kind that declares the link, each kind's records in its listed order."""
        index: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        for kind in kinds.KINDS:
            if kind.record is None or link not in kind.links:
                continue
            for target, records in self.linked_of(kind, link).items():
                index[target][kind.plural] = records
        return index

    def linked_of(self, kind: kinds.SiteKind, link: str) -> dict[str, list[Record]]:
        """id → the records of `kind` that link to that id under `link`, in its listed order: computed, or as the
        last build kept it (`linked_aggregate`: a kind's records alone, not an org's name; a city's 60,000 activities
        sorted and grouped by org took 0.15 s of every rebuild that made an org page)."""
        targets = kind.links[link]

        def grouped() -> dict[str, list[Record]]:
            found: dict[str, list[Record]] = defaultdict(list)
            for record in self.listed(kind.record or ""):
                for target in targets(record):
                    found[target].append(record)
            return dict(found)

        return self.kept_value(linked_aggregate(kind, link), grouped)

    # --- people -----------------------------------------------------------------
    def person(self, member_id: str | None) -> Person | None:
        """The public view of a member, or None when the member is private or unknown."""
        member = self.reg.members.get(member_id) if member_id else None
        if member is None or not is_public(member):
            return None
        return _person(member)

    def people(self, member_ids: list[str]) -> list[Person]:
        """The public ones among `member_ids`, in order."""
        return [p for p in (self.person(m) for m in member_ids) if p is not None]

    @cached_property
    def public_members(self) -> list[Person]:
        """Every public member, by id: computed, or as the last build kept them (`PUBLIC_MEMBERS`)."""
        return self.kept_value(PUBLIC_MEMBERS, self._public_members)

    def _public_members(self) -> list[Person]:
        members = self.reg.members  # `person` of each id, the registry's lookup made once (a city's 200,000)
        return [_person(member) for member_id, member in sorted(members.items()) if member_id and is_public(member)]

    def member_stars(self, member_id: str) -> tuple[int | None, int | None]:
        """(year, stars) of a member's latest scored year, or (None, None)."""
        return member_kind.stars(self, member_id)

    # --- organizations ---------------------------------------------------------------
    @cached_property
    def root(self) -> str | None:
        return self.settings.get("root")

    def org(self, org_id: str | None) -> Record | None:
        return self.reg.orgs.get(org_id) if org_id else None

    @cached_property
    def org_views(self) -> OrgViews:
        return OrgViews(self.reg.orgs)

    @cached_property
    def org_names(self) -> OrgNames:
        return OrgNames(self.reg.orgs)

    def org_view(self, org_id: str | None) -> OrgView | None:
        """What the page of another record shows of an org (`OrgView`), or None for no such org."""
        return self.org_views[org_id] if org_id and org_id in self.reg.orgs else None

    @cached_property
    def rolls(self) -> Rolls:
        """Who is on which org's roll, and in the party, on a day (the score book's and every figure's)."""
        return Rolls(self.reg)

    @cached_property
    def scores(self) -> ScoreBook:
        # its events indexed when first asked for, or gathered member by member when few orgs' parts are made again
        return ScoreBook(self.reg, self.rolls, naming=keptparts.naming(self.parts))

    @cached_property
    def parts(self) -> Parts:
        """Each org's own parts of the counting (`parts.py`): the last build's for the orgs no edit touched since,
        when this site reuses what was kept (`keptparts`); kept for the next build by `keep_parts`."""
        return keptparts.open_parts(self.reg, reuse=self.reuse)

    def keep_parts(self) -> None:
        """Keep the parts made for the next build (once the counting is done; nothing if none was asked for)."""
        if "parts" in vars(self):
            keptparts.keep(self.parts)

    @cached_property
    def rankings(self) -> RankingBook:
        return RankingBook(self.reg, self.scores, names=False, parts=self.parts)  # named when published (`histories`)

    @cached_property
    def book(self) -> StatsBook:
        """Each org's stats as counted: those the counting made (`counted`) known at once, the others when asked."""
        site = weakref.ref(self)  # never a cycle: a SiteData is freed when its build lets it go, not by the collector
        book = StatsBook(self.reg, None, self.rolls, later=lambda: _alive(site).scores, parts=self.parts)
        book._stats.update(self.counted.org_stats)  # noqa: SLF001 - its memo of `of`, filled with equal values
        return book

    def kept_value(
        self,
        aggregate: kept.Aggregate,
        compute: Callable[[], T],
        state: Callable[[T], Any] | None = None,
        restore: Callable[[Any], T] | None = None,
        given: str = "",
    ) -> T:
        """`compute()`, or what the last build of this registry kept of `aggregate` for the same inputs (and `given`),
        when this site reuses kept aggregates (`kept.value`, with this registry and day)."""
        return kept.value(
            self.reg, aggregate, self.today, compute, reuse=self.reuse, state=state, restore=restore, given=given
        )

    @cached_property
    def counted(self) -> Counted:
        """The figures, their suppression and the rankings: computed, or as the last build kept them (`COUNTED`);
        after a result edited, the rankings computed and the rest as kept, when they show the same averages
        (`COUNTED_APART`)."""
        return kept.value_apart(
            self.reg,
            COUNTED,
            COUNTED_APART,
            self.today,
            self._rank,
            self._ranked_of,
            self.count_apart,
            _counted,
            reuse=self.reuse,
        )

    def _count(self) -> Counted:
        histories = self._rank()
        return _counted(histories, self.count_apart(self._ranked_of(histories)))

    def _ranked_of(self, histories: dict[str, list[Ranking]]) -> Ranked:
        ranked = self.__dict__["ranked"] = tuple(self._ranked_averages(histories))  # `ranked`, made once
        return ranked

    def _rank(self) -> dict[str, list[Ranking]]:
        """Every scheme's rankings as computed (`computed_histories`)."""
        return {ident(s): self.rankings.history(ident(s)) for s in self.schemes}

    def count_apart(self, ranked: Ranked) -> Apart:
        """Every org's stats, the figure table and its suppression, given the average scores the rankings show
        (`ranked`): all the counting reads of the results."""
        book = StatsBook(self.reg, self.scores, parts=self.parts)
        table = figure_table(book, home_locked=HOME_LOCKED, rankings=ranked)
        return {org: book.of(org) for org in self.reg.orgs}, table, suppress(table)

    @property
    def figures(self) -> Table:
        """Every figure the site shows over members, with the counts behind it (see stats.figure_table)."""
        return self.counted.figures

    @cached_property
    def ranked(self) -> Ranked:
        """(org, cell, last day) of each average score a ranking shows (`points_average`), shown at any size: all
        that the figures, their suppression and the duty records read of the rankings."""
        return tuple(self._ranked_averages(self.computed_histories))

    def _ranked_averages(self, histories: dict[str, list[Ranking]]) -> Iterator[tuple[str, tuple, datetime.date]]:
        """By scheme and period, each ranking's orgs in order of id (not of rank: a score changed moves no average)."""
        for scheme in self.schemes:
            if not any(i.get("derive") == "points_average" for i in scheme.get("indicators", [])):
                continue
            for ranking in histories[ident(scheme)]:
                for org in sorted(row.org for row in ranking.rows):
                    yield org, ("points", scheme.id, ranking.period.label), ranking.period.last

    @cached_property
    def unsafe_rankings(self) -> set[tuple[str, str, str]]:
        """(org, scheme, period) of ranking rows whose average score gives members away: fewer than five
        behind it, or by difference. Their 党员积分 indicator, and the total it is part of, should not be shown."""
        dims = {d.name: d for d in self.figures.dimensions}
        found = set()
        for unit, name, _ in self.disclosure.unresolved:
            around = set(self.reg.orgs) if unit == HOME else {unit, *self.reg.descendants(unit)}
            found |= {
                (org, str(cell[1]), str(cell[2]))  # a ranked average's cell: ("points", scheme id, period label)
                for org, cell in self.figures.forced
                if org in around and cell in dims[name].cells
            }
        return found

    @property
    def disclosure(self) -> Outcome:
        """Which figures may be published: primary and secondary suppression over every org and the home page."""
        return self.counted.disclosure

    def _shown(self, unit: str, cell: tuple, value: int) -> int:
        if (unit, cell) in self.disclosure.published:
            return value
        return Withheld() if value >= THRESHOLD else Small()

    def stats(self, org_id: str) -> OrgStats:
        """An org's figures as they may be published: a hidden figure is a `Small` or `Withheld`, never its value.
        Computed once per org (an org page, each of its reports and the comparisons ask); never change it."""
        return self.memo(f"stats:{org_id}", lambda: self._stats(org_id))

    def _stats(self, org_id: str) -> OrgStats:
        raw = self.book.of(org_id)
        shown = OrgStats(members=self._shown(org_id, ("members",), raw.members), year=raw.year)
        shown.by_status = Counter({s: self._shown(org_id, ("status", s), raw.by_status[s]) for s in MEMBER_STATUSES})
        shown.flow_out = self._shown(org_id, ("flow", "out"), raw.flow_out)
        shown.flow_in = self._shown(org_id, ("flow", "in"), raw.flow_in)
        if raw.year is not None and raw.scored:
            shown.scored = self._shown(org_id, ("average", raw.year), raw.scored)
            if (org_id, ("average", raw.year)) in self.disclosure.published:
                shown.average = raw.average
                shown.stars = Counter(
                    {k: self._shown(org_id, ("stars", raw.year, k), raw.stars[k]) for k in self.reg.stars}
                )
        return shown

    def shown_stats(self, org_id: str) -> dict[str, Any]:
        """An org page's 党员队伍 figures, each a number, 少于5人 or —: a new dict each call (made once per org)."""
        figures = self.org_figures.get(org_id)
        if figures is not None:
            return dict(figures[0])
        return dict(self.memo(f"shown_stats:{org_id}", lambda: self._shown_stats(org_id)))

    @cached_property
    def org_figures(self) -> dict[str, tuple[dict[str, Any], list[tuple[Record, list[tuple[str, int | None]]]]]]:
        """Every org's `shown_stats` and `rankings_of`, made together once (or as the last build kept them:
        `ORG_FIGURES`); never change them."""
        return self.kept_value(ORG_FIGURES, self._org_figures)

    def _org_figures(self) -> dict[str, tuple[dict[str, Any], list[tuple[Record, list[tuple[str, int | None]]]]]]:
        return {org: (self._shown_stats(org), self._rankings_of(org)) for org in sorted(self.reg.orgs)}

    def _shown_stats(self, org_id: str) -> dict[str, Any]:
        stats = self.stats(org_id)
        view: dict[str, Any] = {"members": shown_count(stats.members), "suppressed": stats.members < THRESHOLD}
        view["by_status"] = [(s, shown_count(stats.by_status[s])) for s in MEMBER_STATUSES]
        view["flow_out"], view["flow_in"] = shown_count(stats.flow_out), shown_count(stats.flow_in)
        view["year"] = stats.year
        if stats.average is not None:
            view["average"] = stats.average
        elif hidden(stats.scored):
            view["average"] = shown_count(stats.scored)
        else:
            view["average"] = None  # nobody scored
        view["stars"] = None
        if stats.average is not None:
            view["stars"] = [(n, shown_count(stats.stars[n])) for n in sorted(self.reg.stars, reverse=True)]
        return view

    def home_figures(self) -> dict[str, Any]:
        """The home page's member figures over the whole registry: by status, and 党员 (预备 and 正式)."""
        cells = self.figures.cells[HOME]
        return {
            "members": [
                (s, shown_count(self._shown(HOME, ("status", s), cells[("status", s)]))) for s in MEMBER_STATUSES
            ],
            "party_members": shown_count(self._shown(HOME, ("party",), cells[("party",)])),
        }

    # --- shortcuts to each kind's records, for pages, exports and tests ---------------------------
    @cached_property
    def projects(self) -> list[Record]:
        return self.listed("project")

    @cached_property
    def stories(self) -> list[Record]:
        """Newest first."""
        return self.listed("story")

    @cached_property
    def activities(self) -> list[Record]:
        """Newest first."""
        return self.listed("activity")

    @cached_property
    def brands(self) -> list[Record]:
        return self.listed("brand")

    @cached_property
    def by_org(self) -> dict[str, dict[str, list[Record]]]:
        """org id → {"projects", "stories", "activities"} of that org itself."""
        return self.linked("org")

    @cached_property
    def by_brand(self) -> dict[str, dict[str, list[Record]]]:
        """brand id → {"projects", "stories", "orgs"} that carry it."""
        return self.linked("brand")

    @cached_property
    def by_member(self) -> dict[str, dict[str, list[Record]]]:
        """Member id → the stories and projects that name them (pages ask for public members only)."""
        return self.linked("member")

    @cached_property
    def story_tags(self) -> dict[str, str]:
        """Every story tag → the folder of its page under stories/tags/."""
        return story_kind.tag_slugs(t for s in self.stories for t in s.get("tags", []))

    def progress(self, record: Record) -> int:
        """Percent of a project's milestones done."""
        return project_kind.progress(record)

    # --- rankings ---------------------------------------------------------------------
    @cached_property
    def schemes(self) -> list[Record]:
        return self.listed("scheme")

    @property
    def computed_histories(self) -> dict[str, list[Ranking]]:
        """Every scheme's rankings as computed (what suppression weighs; never shown as they are)."""
        return self.counted.histories

    @cached_property
    def histories(self) -> dict[str, list[Ranking]]:
        """Every scheme's rankings as they may be published: each org's row named as the org is now (the counting
        ranks by id, reading no name: a renamed org keeps what is counted); in a row whose average score gives
        members away (`unsafe_rankings`), that indicator and the total are `Withheld` (the total less
        the other indicators would give the average back); the rank stays."""
        unsafe = self.unsafe_rankings
        return {
            ident(scheme): [_public_ranking(named(ranking, self.reg), unsafe) for ranking in history]
            for scheme, history in ((s, self.computed_histories[ident(s)]) for s in self.schemes)
        }

    @cached_property
    def latest_ranking(self) -> Ranking | None:
        """The ranking whose period ended last (ties: scheme id)."""
        latest = [h[-1] for h in self.histories.values() if h and h[-1].subject != MEMBERS]  # people: not here
        return max(latest, key=lambda r: (r.period.last, r.scheme.id), default=None)

    def rankings_of(self, org_id: str) -> list[tuple[Record, list[tuple[str, int | None]]]]:
        """Every scheme an org is ranked in, with its rank in each period (None when not ranked)."""
        figures = self.org_figures.get(org_id)
        return figures[1] if figures is not None else self._rankings_of(org_id)

    def _rankings_of(self, org_id: str) -> list[tuple[Record, list[tuple[str, int | None]]]]:
        return [
            (scheme, [(label, rank.get(org_id)) for label, rank in periods])
            for scheme, periods, ranked in self._ranks
            if org_id in ranked
        ]

    @cached_property
    def _ranks(self) -> list[tuple[Record, list[tuple[str, dict[str, int | None]]], frozenset[str]]]:
        """Each scheme ranking orgs, with each period's label and org → its rank (its first row's), and the orgs ranked
        in some period (a city's 5,000 orgs were looked up in each of its periods), made once."""
        ranked = []
        for scheme in self.schemes:
            if scheme.get("subject") == MEMBERS:  # ranks people: keys are member ids, never an org's
                continue
            periods = []
            for ranking in self.computed_histories[ident(scheme)]:  # the ranks as published: unnamed, no figure read
                rank: dict[str, int | None] = {}
                for row in ranking.rows:
                    rank.setdefault(row.org, row.rank)
                periods.append((ranking.period.label, rank))
            some = frozenset(org for _, rank in periods for org in rank)
            ranked.append((scheme, periods, some))
        return ranked


def _person(member: Record) -> Person:
    """A public member's view (`SiteData.person`: only ever of a member `is_public` says is)."""
    return Person(ident(member), member["name"], member.get("org"), tuple(member.get("posts", [])), member.get("grade"))


def _alive(site: weakref.ref[SiteData]) -> SiteData:
    data = site()
    assert data is not None, "a build's SiteData outlived by what was computed from it"
    return data


def _public_ranking(ranking: Ranking, unsafe: set[tuple[str, str, str]]) -> Ranking:
    """`ranking` with each unsafe row's average-score indicators and total withheld."""
    key = (ranking.scheme.id, ranking.period.label)
    if not any((row.org, *key) in unsafe for row in ranking.rows):
        return ranking
    averages = {i["id"] for i in ranking.scheme.get("indicators", []) if i.get("derive") == "points_average"}
    rows = [
        dataclasses.replace(
            row, total=Withheld(), indicators={k: Withheld() if k in averages else v for k, v in row.indicators.items()}
        )
        if (row.org, *key) in unsafe
        else row
        for row in ranking.rows
    ]
    return dataclasses.replace(ranking, rows=rows)
